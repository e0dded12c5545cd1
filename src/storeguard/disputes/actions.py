"""The only code that changes disputes: record what a gateway reports, in order, with history.

Each action locks what it changes, records an audit event and flushes; the entry point commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.core.money import to_decimal_str
from storeguard.core.outbox import enqueue, withdraw_pending
from storeguard.disputes import policy
from storeguard.disputes.enums import DisputeError, DisputeResponse, DisputeStatus
from storeguard.disputes.models import Dispute, DisputeEvent, DisputeNote
from storeguard.disputes.policy import report_applies
from storeguard.disputes.schemas import DisputeReport
from storeguard.orders.models import Order
from storeguard.staff.service import list_staff_users


def record_dispute_report(
    session: Session,
    report: DisputeReport,
    *,
    actor: Actor,
    event: str,
    event_id: str | None,
    occurred_at: datetime | None,
    order_id: int | None,
    payload: dict[str, Any],
) -> Dispute:
    """Open or update the dispute a gateway reports on and append the report to its history.

    An older report is kept in the history but never overwrites a newer state; money movements
    (funds withdrawn or reinstated) are facts whatever the order of arrival.
    """
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.gateway == report.gateway, Dispute.gateway_dispute_id == report.gateway_dispute_id)
        .with_for_update()
    )
    created = dispute is None
    if dispute is None:
        dispute = Dispute(
            gateway=report.gateway,
            gateway_dispute_id=report.gateway_dispute_id,
            amount=report.amount,
            currency=report.currency,
            status=report.status,
            reason=report.reason,
        )
        session.add(dispute)
    before = None if created else {"status": str(dispute.status), "amount": dispute.amount}
    order = session.get(Order, order_id) if order_id is not None else None
    if order is not None and dispute.order_id is None:
        dispute.order_id, dispute.shop_id, dispute.customer_id = order.id, order.shop_id, order.customer_id
    current = None if created else DisputeStatus(dispute.status)
    if report_applies(current, dispute.last_event_at, DisputeStatus(report.status), occurred_at):
        dispute.status = DisputeStatus(report.status)
        dispute.gateway_status = report.gateway_status
        dispute.amount, dispute.currency = report.amount, report.currency
        dispute.reason, dispute.gateway_reason = report.reason, report.gateway_reason
        dispute.evidence_due_at = report.evidence_due_at or dispute.evidence_due_at
        dispute.charge_reference = report.charge_reference or dispute.charge_reference
        dispute.payment_reference = report.payment_reference or dispute.payment_reference
        dispute.opened_at = dispute.opened_at or report.opened_at
        if occurred_at is not None:
            dispute.last_event_at = occurred_at
    if report.funds_withdrawn:
        dispute.funds_withdrawn = True
    if report.funds_reinstated:
        dispute.funds_reinstated = True
    dispute.events.append(
        DisputeEvent(
            kind=event,
            gateway_event_id=event_id,
            status=report.gateway_status,
            occurred_at=occurred_at,
            data=payload,
        )
    )
    if DisputeStatus(dispute.status).is_final:
        dispute.outcome_at = dispute.outcome_at or occurred_at or now()
    session.flush()
    schedule_reminders(session, dispute)
    record_event(
        session,
        actor=actor,
        action="dispute.opened" if created else "dispute.updated",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after={"status": str(dispute.status), "amount": dispute.amount},
        data={"gateway": report.gateway, "event": event, "event_id": event_id},
    )
    return dispute


def schedule_reminders(session: Session, dispute: Dispute) -> int:
    """Queue mails to the team before the evidence deadline (5 and 2 days by default); none once answered.

    A moved deadline or an answer takes back the reminders not sent yet, so nobody is reminded of
    a dispute that no longer waits.
    """
    prefix = f"dispute-reminder:{dispute.id}:"
    withdraw_pending(session, prefix)
    if not policy.may_answer(dispute.status, dispute.response):
        return 0
    due = dispute.evidence_due_at
    ahead = policy.reminder_times(due, now())
    team = [u for u in list_staff_users(session) if Role(u.role).at_least(Role.agent)]
    base = get_settings().public_base_url.rstrip("/")
    amount = f"{to_decimal_str(dispute.amount, dispute.currency)} {dispute.currency}"
    for days, at in ahead:
        for user in team:
            enqueue(
                session,
                "email",
                {
                    "to": user.email,
                    "subject": f"Dispute {dispute.gateway_dispute_id}: evidence due in {days} days",
                    "text": (
                        f"The {dispute.gateway} dispute {dispute.gateway_dispute_id} ({amount}, "
                        f"{policy.normalized_reason(dispute.reason)}) needs an answer by {due:%Y-%m-%d %H:%M} UTC.\n"
                        f"A dispute that is not answered is lost.\n\n{base}/disputes/{dispute.id}\n"
                    ),
                },
                dedupe_key=f"{prefix}{due:%Y%m%d%H%M}:{days}:{user.id}",
                not_before=at,
            )
    return len(ahead) * len(team)


def accept_dispute(session: Session, *, dispute_id: int, actor: Actor, reason: str) -> Dispute:
    """Do not contest: the money stays with the customer. Why is recorded; reminders stop."""
    why = _required(reason, DisputeError.reason_required, "reason")
    dispute = _answerable(session, dispute_id)
    before = _state(dispute)
    dispute.response, dispute.response_note = DisputeResponse.accepted, why
    dispute.responded_at, dispute.responded_by = now(), str(actor)
    dispute.status, dispute.outcome_at = DisputeStatus.accepted, now()
    return _done(session, dispute, actor, "dispute.accepted", before, reason=why)


def contest_dispute(session: Session, *, dispute_id: int, actor: Actor, note: str | None = None) -> Dispute:
    """Decide to fight the dispute with evidence; reminders stop, the evidence is due by the deadline."""
    dispute = _answerable(session, dispute_id)
    before = _state(dispute)
    dispute.response, dispute.response_note = DisputeResponse.contested, (note or "").strip() or None
    dispute.responded_at, dispute.responded_by = now(), str(actor)
    return _done(session, dispute, actor, "dispute.contested", before)


def add_dispute_note(session: Session, *, dispute_id: int, actor: Actor, body: str) -> DisputeNote:
    """Keep a note on a dispute for the team."""
    text = _required(body, DisputeError.note_required, "body")
    dispute = _lock(session, dispute_id)
    note = DisputeNote(body=text, author=str(actor))
    dispute.notes.append(note)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.note_added",
        subject_type="dispute",
        subject_id=dispute.id,
        data={"note_id": note.id, "note": text},
    )
    return note


def record_dispute_outcome(
    session: Session,
    *,
    dispute_id: int,
    actor: Actor,
    outcome: DisputeStatus | str,
    at: datetime | None = None,
) -> Dispute:
    """Record by hand how a dispute ended (won or lost), where no gateway event says so."""
    try:
        result = DisputeStatus(outcome)
    except ValueError:
        result = None
    if result not in (DisputeStatus.won, DisputeStatus.lost):
        raise Invalid(
            DisputeError.invalid_outcome, f"an outcome is won or lost, not {outcome!r}", field="outcome"
        )
    dispute = _lock(session, dispute_id)
    if DisputeStatus(dispute.status).is_final:
        raise Conflict(
            DisputeError.dispute_closed, f"dispute {dispute.id} has ended already ({dispute.status})"
        )
    before = _state(dispute)
    dispute.status, dispute.outcome_at = result, at or now()
    return _done(session, dispute, actor, f"dispute.{result.value}", before)


def _lock(session: Session, dispute_id: int) -> Dispute:
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if dispute is None:
        raise NotFound(DisputeError.dispute_not_found, f"no dispute {dispute_id}")
    return dispute


def _answerable(session: Session, dispute_id: int) -> Dispute:
    dispute = _lock(session, dispute_id)
    if dispute.response is not None:
        raise Conflict(
            DisputeError.already_answered,
            f"dispute {dispute.id} was {dispute.response} already",
            field="response",
        )
    if not policy.may_answer(dispute.status, dispute.response):
        raise Conflict(
            DisputeError.dispute_closed, f"dispute {dispute.id} is {dispute.status}: it takes no answer now"
        )
    if dispute.evidence_due_at is not None and dispute.evidence_due_at <= now():
        raise Conflict(
            DisputeError.past_due,
            f"the answer to dispute {dispute.id} was due {dispute.evidence_due_at:%Y-%m-%d %H:%M} UTC",
        )
    return dispute


def _state(dispute: Dispute) -> dict[str, Any]:
    return {"status": str(dispute.status), "response": dispute.response}


def _done(
    session: Session,
    dispute: Dispute,
    actor: Actor,
    action: str,
    before: dict[str, Any],
    *,
    reason: str | None = None,
) -> Dispute:
    session.flush()
    schedule_reminders(session, dispute)
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after=_state(dispute),
        reason=reason,
    )
    return dispute


def _required(text: str | None, code: DisputeError, field: str) -> str:
    value = (text or "").strip()
    if not value:
        raise Invalid(code, "say why" if field == "reason" else "a note needs words", field=field)
    return value
