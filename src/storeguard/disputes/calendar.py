"""The disputes' evidence deadlines as an iCalendar feed, one event per dispute still waiting."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from storeguard.core.money import to_decimal_str
from storeguard.disputes.models import Dispute
from storeguard.disputes.policy import REMINDER_DAYS, normalized_reason


def deadlines_calendar(disputes: Iterable[Dispute], *, base_url: str, made_at: datetime) -> bytes:
    """An iCalendar of each dispute's deadline, with an alarm at each reminder point."""
    calendar = Calendar()
    calendar.add("prodid", "-//storeguard//dispute deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Dispute deadlines")
    for dispute in disputes:
        due = dispute.evidence_due_at
        if due is None:
            continue
        amount = f"{to_decimal_str(dispute.amount, dispute.currency)} {dispute.currency}"
        event = Event()
        event.add("uid", f"dispute-{dispute.id}@storeguard")
        event.add("dtstamp", made_at)
        event.add("dtstart", due - timedelta(minutes=30))
        event.add("dtend", due)
        event.add(
            "summary",
            f"Dispute evidence due: {dispute.gateway} {amount} ({normalized_reason(dispute.reason)})",
        )
        event.add(
            "description",
            f"Answer before the deadline or the dispute is lost.\n{base_url}/disputes/{dispute.id}",
        )
        event.add("url", f"{base_url}/disputes/{dispute.id}")
        for days in REMINDER_DAYS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Dispute evidence due in {days} days")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
