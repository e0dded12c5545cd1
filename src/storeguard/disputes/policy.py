"""Pure rules for disputes: which report wins when gateways send events out of order."""

from __future__ import annotations

from datetime import datetime

from storeguard.disputes.enums import DisputeStatus


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
