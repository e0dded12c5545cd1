"""The only code that changes disputes: record what a gateway reports, in order, with history.

Each action locks what it changes, records an audit event and flushes; the entry point commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound, parse_choice
from storeguard.core.events import publish
from storeguard.core.money import to_decimal_str, validate_currency
from storeguard.core.outbox import enqueue, withdraw_pending
from storeguard.disputes import policy
from storeguard.disputes.enums import (
    DisputeError,
    DisputeEscalation,
    DisputeGateway,
    DisputeReason,
    DisputeResponse,
    DisputeStatus,
    EvidenceItem,
)
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import field_map, over_limits
from storeguard.disputes.letters import LANGUAGES
from storeguard.disputes.models import Dispute, DisputeEvent, DisputeFile, DisputeLetterTemplate, DisputeNote
from storeguard.disputes.policy import report_applies
from storeguard.disputes.schemas import DisputeReport
from storeguard.orders.models import Order
from storeguard.staff.service import list_staff_users

# Gateways whose evidence storeguard sends through their API; the others get the PDF and field map.
SUBMITTED_BY_API = frozenset({"stripe", "shopify_payments"})


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
        .with_for_update(key_share=True)
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
    _record_loss(dispute)
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


def enter_dispute(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    amount: int,
    currency: str,
    reason: DisputeReason | str,
    evidence_due_at: datetime | None,
    gateway: DisputeGateway | str = DisputeGateway.manual,
    gateway_dispute_id: str | None = None,
    note: str | None = None,
) -> Dispute:
    """Record a dispute the merchant learned of outside any webhook (a bank's letter, a gateway
    not wired), on its order, so it joins the inbox with its deadline and reminders."""
    chosen_reason = parse_choice(
        DisputeReason, reason, code=DisputeError.unknown_reason, field="reason", what="a dispute reason"
    )
    chosen_gateway = parse_choice(
        DisputeGateway, gateway, code=DisputeError.unknown_gateway, field="gateway", what="a gateway"
    )
    money = validate_currency(currency)
    if session.get(Order, order_id) is None:
        raise NotFound(DisputeError.order_not_found, f"no order {order_id}", field="order_id")
    reference = (gateway_dispute_id or "").strip() or f"manual-{uuid.uuid4().hex[:12]}"
    taken = session.scalar(
        select(Dispute.id).where(Dispute.gateway == chosen_gateway, Dispute.gateway_dispute_id == reference)
    )
    if taken is not None:
        raise Conflict(
            DisputeError.dispute_exists,
            f"{chosen_gateway} dispute {reference} is recorded already (#{taken})",
            field="gateway_dispute_id",
        )
    report = DisputeReport(
        gateway=chosen_gateway,
        gateway_dispute_id=reference,
        amount=amount,
        currency=money,
        status=DisputeStatus.needs_response,
        gateway_status=None,
        reason=policy.reason_word(chosen_reason),
        gateway_reason=None,
        evidence_due_at=evidence_due_at,
        opened_at=now(),
    )
    dispute = record_dispute_report(
        session,
        report,
        actor=actor,
        event="manual.entered",
        event_id=None,
        occurred_at=now(),
        order_id=order_id,
        payload={"note": (note or "").strip() or None},
    )
    dispute.note = (note or "").strip() or None
    return dispute


def schedule_reminders(session: Session, dispute: Dispute) -> int:
    """Queue mails to the team before the evidence deadline (5 and 2 days by default); none once answered.

    A moved deadline or an answer takes back the reminders not sent yet, so nobody is reminded of
    a dispute that no longer waits.
    """
    prefix = policy.reminder_key_prefix(dispute.id)
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
    _record_loss(dispute)
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
    _record_loss(dispute)
    return _done(session, dispute, actor, f"dispute.{result.value}", before)


def escalate_dispute(
    session: Session, *, dispute_id: int, actor: Actor, kind: DisputeEscalation | str, note: str | None = None
) -> Dispute:
    """Mark a dispute for mediation or arbitration (or change which), with why; a won, accepted
    or closed dispute has nothing left to take further."""
    chosen = parse_choice(
        DisputeEscalation,
        kind,
        code=DisputeError.invalid_escalation,
        field="kind",
        what="a way to take a dispute further",
    )
    dispute = _lock(session, dispute_id)
    if not policy.may_escalate(dispute.status):
        raise Conflict(
            DisputeError.nothing_to_escalate,
            f"dispute {dispute.id} is {dispute.status}: there is nothing to take further",
        )
    before = {"escalation": dispute.escalation, "escalation_note": dispute.escalation_note}
    dispute.escalation, dispute.escalation_note = chosen.value, (note or "").strip() or None
    dispute.escalated_at, dispute.escalated_by = now(), str(actor)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.escalated",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after={"escalation": dispute.escalation, "escalation_note": dispute.escalation_note},
        reason=dispute.escalation_note,
    )
    return dispute


def _record_loss(dispute: Dispute) -> None:
    """A lost or accepted dispute lost its amount (unless staff recorded otherwise); a won one nothing."""
    if dispute.status in (DisputeStatus.lost, DisputeStatus.accepted) and dispute.amount_lost is None:
        dispute.amount_lost = dispute.amount
    elif dispute.status == DisputeStatus.won:
        dispute.amount_lost = 0


def save_evidence(
    session: Session,
    *,
    dispute_id: int,
    actor: Actor,
    letter: str | None = None,
    language: str | None = None,
    excluded: list[str] | None = None,
    extra_text: str | None = None,
) -> Dispute:
    """Keep the merchant's edits to the evidence pack; a blank letter goes back to the template's."""
    dispute = _lock(session, dispute_id)
    _evidence_open(dispute)
    if language is not None and language not in LANGUAGES:
        raise Invalid(
            DisputeError.unknown_language,
            f"the letter is written in {', '.join(LANGUAGES)}, not {language!r}",
            field="language",
        )
    known = {i.value for i in EvidenceItem}
    unknown = sorted(set(excluded or []) - known)
    if unknown:
        raise Invalid(
            DisputeError.unknown_evidence_item,
            f"no evidence item {', '.join(unknown)} (items: {', '.join(sorted(known))})",
            field="excluded",
        )
    before = dict(dispute.evidence or {})
    edits = dict(before)
    for key, value in (("letter", letter), ("language", language), ("extra_text", extra_text)):
        if value is not None:
            edits[key] = value.strip() or None
    if excluded is not None:
        edits["excluded"] = sorted(set(excluded))
    dispute.evidence = {k: v for k, v in edits.items() if v not in (None, [])}
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.evidence_edited",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after=dispute.evidence,
    )
    return dispute


def add_dispute_file(
    session: Session, *, dispute_id: int, actor: Actor, filename: str, data: bytes
) -> DisputeFile:
    """Add a PDF or image to the evidence, checked by its bytes; anything else is refused."""
    dispute = _lock(session, dispute_id)
    _evidence_open(dispute)
    kind = policy.sniff_file_type(data)
    if kind is None:
        raise Invalid(
            DisputeError.file_type_refused,
            f"{filename} is not a PDF, PNG or JPEG (its bytes say so, whatever its name)",
            field="file",
        )
    if len(data) > policy.MAX_FILE_BYTES:
        raise Invalid(
            DisputeError.file_too_large,
            f"{filename} has {len(data):,} bytes; Stripe takes an evidence file up to 5 MB",
            field="file",
        )
    name = (filename or "evidence").replace("/", "_").replace("\\", "_")[-200:]
    added = DisputeFile(filename=name, content_type=kind, size=len(data), data=data, author=str(actor))
    dispute.files.append(added)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.file_added",
        subject_type="dispute",
        subject_id=dispute.id,
        data={"file_id": added.id, "filename": name, "content_type": kind, "size": len(data)},
    )
    return added


def submit_evidence(session: Session, *, dispute_id: int, actor: Actor) -> Dispute:
    """Send the evidence pack to the gateway, once, before the deadline, within the gateway's limits.

    The gateway's own fields are checked here, so a refusal sends nothing; the call itself goes out
    through the outbox after the commit (Stripe and Shopify Payments), and the dispute is marked
    contested with the items it used.
    """
    dispute = _lock(session, dispute_id)
    _evidence_open(dispute)
    if dispute.order_id is None:
        raise Conflict(
            DisputeError.order_unmatched,
            f"dispute {dispute.id} is not matched to an order yet: the evidence has no records to show",
        )
    if dispute.gateway not in SUBMITTED_BY_API:
        raise Conflict(
            DisputeError.gateway_not_wired,
            f"{dispute.gateway} evidence is entered by hand: download the PDF and the field map",
            field="gateway",
        )
    pack = build_evidence_pack(session, dispute)
    fields = field_map(pack)
    files_bytes = sum(f["size"] for f in pack.files)
    problems = over_limits(str(dispute.gateway), fields, files_bytes)
    if problems:
        raise Invalid(DisputeError.over_gateway_limit, "; ".join(problems), field="evidence")
    before = _state(dispute)
    at = now()
    dispute.evidence_submitted_at, dispute.evidence_submitted_by = at, str(actor)
    dispute.evidence_used = [i.value for i in pack.present()]
    if dispute.response is None:
        dispute.response, dispute.responded_at, dispute.responded_by = (
            DisputeResponse.contested,
            at,
            str(actor),
        )
    session.flush()
    publish(
        session,
        "dispute.evidence_submitted",
        shop_id=dispute.shop_id or 0,
        subject_type="dispute",
        subject_id=dispute.id,
        data={
            "gateway": str(dispute.gateway),
            "gateway_dispute_id": dispute.gateway_dispute_id,
            "evidence": fields,
            "file_ids": [f["id"] for f in pack.files],
        },
        key="submit",
    )
    return _done(session, dispute, actor, "dispute.evidence_submitted", before)


def update_dispute(
    session: Session, *, dispute_id: int, actor: Actor, fee: int | None = None, amount_lost: int | None = None
) -> Dispute:
    """Record what the dispute cost: the gateway's fee and, when lost, the amount lost (minor units)."""
    dispute = _lock(session, dispute_id)
    before = {"fee": dispute.fee, "amount_lost": dispute.amount_lost}
    if fee is not None:
        dispute.fee = fee
    if amount_lost is not None:
        dispute.amount_lost = amount_lost
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.costs_recorded",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after={"fee": dispute.fee, "amount_lost": dispute.amount_lost},
    )
    return dispute


def set_letter_template(
    session: Session, *, reason: DisputeReason | str, language: str, body: str, actor: Actor
) -> DisputeLetterTemplate:
    """Make the merchant's own rebuttal letter the one written for a reason in a language."""
    which = parse_choice(
        DisputeReason, reason, code=DisputeError.unknown_reason, field="reason", what="a reason"
    )
    if language not in LANGUAGES:
        raise Invalid(
            DisputeError.unknown_language,
            f"letters are written in {', '.join(LANGUAGES)}, not {language!r}",
            field="language",
        )
    text = _required(body, DisputeError.note_required, "body")
    template = session.scalar(
        select(DisputeLetterTemplate)
        .where(DisputeLetterTemplate.reason == which.value, DisputeLetterTemplate.language == language)
        .with_for_update(key_share=True)
    )
    before = {"body": template.body} if template else None
    if template is None:
        template = DisputeLetterTemplate(
            reason=which.value, language=language, body=text, updated_by=str(actor)
        )
        session.add(template)
    template.body, template.updated_by = text, str(actor)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.letter_template_saved",
        subject_type="dispute_letter",
        subject_id=f"{which.value}:{language}",
        before=before,
        after={"body": text},
    )
    return template


def _evidence_open(dispute: Dispute) -> None:
    code = policy.evidence_blocker(
        dispute.status, dispute.response, dispute.evidence_submitted_at, dispute.evidence_due_at, now()
    )
    if code is None:
        return
    due = f"{dispute.evidence_due_at:%Y-%m-%d %H:%M} UTC" if dispute.evidence_due_at else ""
    messages = {
        DisputeError.already_submitted: f"the evidence for dispute {dispute.id} was sent already",
        DisputeError.dispute_closed: f"dispute {dispute.id} is {dispute.status}: it takes no evidence now",
        DisputeError.past_due: f"the evidence for dispute {dispute.id} was due {due}",
    }
    raise Conflict(DisputeError(code), messages[DisputeError(code)])


def _lock(session: Session, dispute_id: int) -> Dispute:
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .with_for_update(key_share=True)
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
