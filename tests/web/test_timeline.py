"""Timelines show each audit action in the words its domain gave it, newest first, with money and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import storeguard.app  # noqa: F401  (each domain registers its words as its pages load)
from storeguard.web.timeline import TimelineItem, event_words, timeline_items


@dataclass
class _Event:
    at: datetime
    action: str
    actor: str = "staff:kari@example.com"
    reason: str | None = None
    data: Any = None


def _at(hour: int) -> datetime:
    return datetime(2026, 12, 1, hour, tzinfo=UTC)


def test_a_timeline_is_newest_first_in_registered_words_with_its_money_and_note():
    events = [
        _Event(_at(9), "order.created"),
        _Event(
            _at(11), "order.refunded", data={"refund": {"amount": 1250, "currency": "NOK"}, "note": "torn"}
        ),
        _Event(_at(10), "something.unnamed", reason="because"),
    ]

    items = timeline_items(events)

    assert items == [
        TimelineItem("Refund issued", _at(11), "staff:kari@example.com", None, "torn", (1250, "NOK")),
        TimelineItem("something.unnamed", _at(10), "staff:kari@example.com", "because", None, None),
        TimelineItem("Order placed", _at(9), "staff:kari@example.com", None, None, None),
    ]


def test_every_domain_names_its_actions_once_for_timelines_and_the_audit_log():
    assert [event_words(a) for a in ("customer.blocked", "list_entry.lifted", "staff_user.role_changed")] == [
        "Blocked",
        "List entry lifted",
        "Role changed",
    ]
