"""Pure rules of cases and conduct: service targets, time left, and what the conduct policy does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storeguard.cases.enums import CaseChannel, CaseStatus, ConductCategory

# A shop's service targets unless it sets its own (shop settings "case_targets").
DEFAULT_TARGETS = {"first_answer_minutes": 60, "resolution_hours": 48}
# The conduct policy unless the shop sets its own (shop settings "conduct_policy").
DEFAULT_CONDUCT_POLICY: dict[str, Any] = {
    "warn_first": True,  # first abusive incident: one warning mail in the customer's language
    "repeat_window_days": 90,  # a second one within this many days is a repeat
    "on_repeat": "propose_block",  # or "block": block at once through block_customer
    "block_reason_code": "abusive_language",
    "legal_hold": True,  # a legal threat puts the customer's records on hold
}
ON_REPEAT = ("propose_block", "block")
# Mail attachments the inbound endpoint keeps, and the largest one.
ATTACHMENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "application/pdf",
        "text/plain",
        "text/csv",
    }
)
MAX_ATTACHMENT_BYTES = 1 << 20  # the whole mail must fit the webhook body limit (2 MiB by default)
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Targets:
    first_answer: timedelta
    resolution: timedelta


def targets(settings: Mapping[str, Any] | None) -> Targets:
    """The shop's service targets (first answer, resolution), its own or the defaults."""
    raw = {**DEFAULT_TARGETS, **((settings or {}).get("case_targets") or {})}
    return Targets(
        timedelta(minutes=int(raw["first_answer_minutes"])), timedelta(hours=int(raw["resolution_hours"]))
    )


def conduct_policy(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The shop's conduct policy, its own or the defaults."""
    policy = {**DEFAULT_CONDUCT_POLICY, **((settings or {}).get("conduct_policy") or {})}
    if policy["on_repeat"] not in ON_REPEAT:
        policy["on_repeat"] = DEFAULT_CONDUCT_POLICY["on_repeat"]
    return policy


@dataclass(frozen=True)
class Clock:
    """Where a case stands against its targets: the next due time, time left, and breaches."""

    due_at: datetime | None
    left: timedelta | None
    first_answer_breached: bool
    resolution_breached: bool

    @property
    def breached(self) -> bool:
        return self.first_answer_breached or self.resolution_breached


def case_clock(
    *,
    status: str,
    first_answer_due_at: datetime | None,
    first_answered_at: datetime | None,
    resolution_due_at: datetime | None,
    resolved_at: datetime | None,
    at: datetime,
) -> Clock:
    """Tell a case's next due time and time left (negative once late), and which targets it broke."""
    first_breached = first_answer_due_at is not None and (first_answered_at or at) > first_answer_due_at
    resolution_breached = resolution_due_at is not None and (resolved_at or at) > resolution_due_at
    if CaseStatus(status).is_done:
        return Clock(None, None, first_breached, resolution_breached)
    due = first_answer_due_at if first_answered_at is None else resolution_due_at
    return Clock(due, (due - at) if due else None, first_breached, resolution_breached)


def reply_channel_refusal(channel: str, official_only: bool) -> str | None:
    """Refuse a reply on chat or phone once the case is on official channels only."""
    if official_only and channel != CaseChannel.email:
        return "this customer is answered by email only, after repeated abusive messages"
    return None


def abuse_step(policy: Mapping[str, Any], earlier_abuse: int) -> str:
    """What an abusive message leads to: a warning first, then a block proposal or a block."""
    if earlier_abuse == 0 and policy.get("warn_first", True):
        return "warned"
    return "blocked" if policy["on_repeat"] == "block" else "block_proposed"


def outcome_of(category: ConductCategory) -> str:
    """The escalation a threat leads to (abuse goes by abuse_step)."""
    return {
        ConductCategory.legal_threat: "escalated_legal",
        ConductCategory.physical_threat: "escalated_urgent",
    }.get(category, "recorded")


def precision(confirmed: int, dismissed: int) -> float | None:
    """Of the detections the team reviewed, the share that were right (dismissed ones are false positives)."""
    reviewed = confirmed + dismissed
    return confirmed / reviewed if reviewed else None
