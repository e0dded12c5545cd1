"""Pure rules for disputes: which report wins when gateways send events out of order."""

from __future__ import annotations

from datetime import datetime, timedelta

from storeguard.disputes.enums import DisputeReason, DisputeStatus


def report_applies(
    current: DisputeStatus | None,
    last_event_at: datetime | None,
    reported: DisputeStatus,
    occurred_at: datetime | None,
) -> bool:
    """Whether a report may change the dispute's state: an older one never overwrites a newer one.

    ``current`` is None for a dispute seen for the first time. At the same instant, a dispute
    never steps back from an outcome (won, lost, ...) to an open state.
    """
    if current is None or occurred_at is None or last_event_at is None:
        return True
    if occurred_at < last_event_at:
        return False
    return not (occurred_at == last_event_at and current.is_final and not reported.is_final)


# The gateways' reasons (in Stripe's words, which every gateway's mapping speaks) as one reason.
NORMALIZED_REASONS: dict[str, DisputeReason] = {
    "fraudulent": DisputeReason.fraud,
    "unrecognized": DisputeReason.fraud,
    "debit_not_authorized": DisputeReason.fraud,
    "product_not_received": DisputeReason.not_received,
    "product_unacceptable": DisputeReason.not_as_described,
    "duplicate": DisputeReason.duplicate,
    "credit_not_processed": DisputeReason.credit_not_processed,
    "subscription_canceled": DisputeReason.subscription,
}
# When staff are reminded of a dispute's evidence deadline, before it (the merchant may change it).
REMINDER_DAYS: tuple[int, ...] = (5, 2)
# Statuses in which the merchant can still answer.
ANSWERABLE = frozenset({DisputeStatus.warning_needs_response, DisputeStatus.needs_response})


def normalized_reason(reason: str | None) -> DisputeReason:
    """The one reason a gateway's reason stands for (other when it is not one of them)."""
    return NORMALIZED_REASONS.get(reason or "", DisputeReason.other)


def reminder_times(
    due: datetime | None, now: datetime, days: tuple[int, ...] = REMINDER_DAYS
) -> list[tuple[int, datetime]]:
    """The reminders still ahead for a deadline: (days before, when), soonest first; none when past."""
    if due is None:
        return []
    return sorted(
        ((d, due - timedelta(days=d)) for d in days if due - timedelta(days=d) > now), key=lambda x: x[1]
    )


def is_overdue(status: DisputeStatus | str, due: datetime | None, now: datetime) -> bool:
    """A dispute still waiting for an answer after its deadline: it is being lost."""
    return due is not None and due <= now and DisputeStatus(status) in ANSWERABLE


def may_answer(status: DisputeStatus | str, response: str | None) -> bool:
    """Whether the merchant can still accept or contest: open, and not answered yet."""
    return DisputeStatus(status) in ANSWERABLE and response is None
