"""Timelines: what happened to an order or a customer, from the audit log, in the page's words.

Each domain names its own audit actions once (``register_event_words``); every timeline and the
audit log then show those words, translated, instead of the action's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

_WORDS: dict[str, str] = {}


class Event(Protocol):
    """What a timeline needs of an audit event (an ``AuditEvent`` row or its read model)."""

    at: datetime
    action: str
    actor: str
    reason: str | None
    data: Any


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One line of a timeline: what happened (English, translated when shown), when, by whom."""

    what: str
    at: datetime
    actor: str
    reason: str | None
    note: str | None  # a staff note the event carries
    money: tuple[int, str] | None  # (amount in minor units, currency) the event moved


def register_event_words(words: Mapping[str, str]) -> None:
    """Give audit actions the words a timeline shows for them (English, marked for the catalogs)."""
    _WORDS.update(words)


def event_words(action: str) -> str | None:
    """Return the registered words of an audit action, or None when it has none."""
    return _WORDS.get(action)


def timeline_items(events: Iterable[Event]) -> list[TimelineItem]:
    """Return the events as timeline lines, newest first."""
    items = [
        TimelineItem(
            what=_WORDS.get(e.action, e.action),
            at=e.at,
            actor=e.actor,
            reason=e.reason,
            note=_note(e.data),
            money=_money(e.data),
        )
        for e in events
    ]
    return sorted(items, key=lambda item: item.at, reverse=True)


def _money(data: Any) -> tuple[int, str] | None:
    """The money an event moved, when it says: ``amount`` and ``currency``, or a ``refund`` of them."""
    data = data if isinstance(data, dict) else {}
    refund = data.get("refund") if isinstance(data.get("refund"), dict) else None
    source = refund or data
    if isinstance(source.get("amount"), int) and isinstance(source.get("currency"), str):
        return source["amount"], source["currency"]
    return None


def _note(data: Any) -> str | None:
    data = data if isinstance(data, dict) else {}
    note = data.get("staff_note") or data.get("note") or data.get("body")
    return note if isinstance(note, str) and note.strip() else None
