"""JSON routes for disputes: the inbox by deadline, one dispute, the merchant's answer, notes, the calendar.

Reading takes ``read``; answering (accept, contest), notes and outcomes take ``work_orders``
(agents): a dispute is the money of an order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response

from storeguard.core.api import CanManageSettings, CanRead, CanWorkOrders, Page, PagingDep, SessionDep
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.schemas import Id
from storeguard.disputes import actions, service
from storeguard.disputes.calendar import deadlines_calendar
from storeguard.disputes.enums import DisputeReason, DisputeStatus
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import field_map, over_limits
from storeguard.disputes.models import Dispute
from storeguard.disputes.pdf import render_pack_pdf
from storeguard.disputes.policy import MAX_FILE_BYTES, escalation_suggested, is_overdue, normalized_reason
from storeguard.disputes.schemas import (
    AcceptDisputeIn,
    ContestDisputeIn,
    DisputeEventRead,
    DisputeFileRead,
    DisputeNoteIn,
    DisputeNoteRead,
    DisputeOutcomeIn,
    DisputeRead,
    DisputeUpdate,
    EnterDisputeIn,
    EscalateDisputeIn,
    EvidenceEditIn,
    EvidenceFileForm,
    EvidencePackRead,
    LetterTemplateIn,
    PriorOrderRead,
)
from storeguard.shops.api import ShopFilter

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dispute (dispute_not_found)", **_PROBLEM},
    409: {"description": "Answered already, ended, or past its deadline", **_PROBLEM},
    422: {
        "description": "Invalid input (reason_required, invalid_outcome, evidence_over_gateway_limit, file_not_pdf_or_image, …)",
        **_PROBLEM,
    },
}
router = APIRouter(prefix="/v1", tags=["disputes"], responses=PROBLEMS)


def dispute_read(dispute: Dispute, *, threshold: int, full: bool = False) -> DisputeRead:
    """A dispute as the API gives it: with its one reason, whether it is overdue, and whether
    mediation or arbitration is suggested (``threshold``: the shop's amount for that)."""
    plain = {k: getattr(dispute, k) for k in DisputeRead.model_fields if k not in _DERIVED}
    return DisputeRead.model_validate(
        {
            **plain,
            "normalized_reason": normalized_reason(dispute.reason),
            "overdue": is_overdue(dispute.status, dispute.evidence_due_at, now()),
            "escalation_suggested": escalation_suggested(
                dispute.status, dispute.amount, dispute.escalation, threshold
            ),
            "events": [DisputeEventRead.model_validate(e) for e in dispute.events] if full else [],
            "notes": [DisputeNoteRead.model_validate(n) for n in dispute.notes] if full else [],
        }
    )


_DERIVED = frozenset({"normalized_reason", "overdue", "escalation_suggested", "events", "notes"})


@router.get("/disputes", name="disputes.list")
def list_disputes(
    actor: CanRead,
    session: SessionDep,
    paging: PagingDep,
    shop_id: ShopFilter,
    status: DisputeStatus | None = None,
    gateway: Annotated[str | None, Query(max_length=30)] = None,
    due_before: datetime | None = None,
    open: bool = False,
) -> Page[DisputeRead]:
    """The inbox: disputes waiting for an answer, soonest deadline first, then the rest."""
    rows, total = service.list_disputes(
        session,
        shop_id=shop_id,
        status=status,
        gateway=gateway,
        due_before=due_before,
        open_only=open,
        limit=paging.limit,
        offset=paging.offset,
    )
    thresholds = service.escalation_thresholds(session, {d.shop_id for d in rows})
    items = [dispute_read(d, threshold=thresholds[d.shop_id]) for d in rows]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/disputes", status_code=201, name="disputes.enter")
def enter(actor: CanWorkOrders, body: EnterDisputeIn, session: SessionDep) -> DisputeRead:
    """Enter a dispute by hand, on its order: it joins the inbox with its deadline and reminders."""
    dispute = actions.enter_dispute(
        session,
        actor=actor,
        order_id=body.order_id,
        amount=body.amount,
        currency=body.currency,
        reason=body.reason,
        evidence_due_at=body.evidence_due_at,
        gateway=body.gateway,
        gateway_dispute_id=body.gateway_dispute_id,
        note=body.note,
    )
    return _answer(session, dispute.id)


@router.get("/disputes/calendar.ics", name="disputes.calendar", response_class=Response)
def calendar(actor: CanRead, session: SessionDep) -> Response:
    """Every evidence deadline still ahead of an answer, as an iCalendar feed with reminders."""
    body = deadlines_calendar(
        service.calendar_disputes(session), base_url=get_settings().public_base_url.rstrip("/"), made_at=now()
    )
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get("/disputes/{dispute_id}", name="disputes.detail")
def get_dispute(actor: CanRead, dispute_id: Id, session: SessionDep) -> DisputeRead:
    """One dispute with the gateway's events and the team's notes."""
    return _full(session, service.get_dispute(session, dispute_id))


def _full(session: SessionDep, dispute: Dispute) -> DisputeRead:
    threshold = service.escalation_thresholds(session, {dispute.shop_id})[dispute.shop_id]
    return dispute_read(dispute, threshold=threshold, full=True)


def _answer(session: SessionDep, dispute_id: int) -> DisputeRead:
    session.commit()
    session.expire_all()
    return _full(session, service.get_dispute(session, dispute_id))


@router.post("/disputes/{dispute_id}/accept", name="disputes.accept")
def accept(actor: CanWorkOrders, dispute_id: Id, body: AcceptDisputeIn, session: SessionDep) -> DisputeRead:
    """Do not contest: the money stays with the customer; why is kept."""
    actions.accept_dispute(session, dispute_id=dispute_id, actor=actor, reason=body.reason)
    return _answer(session, dispute_id)


@router.post("/disputes/{dispute_id}/escalate", name="disputes.escalate")
def escalate(
    actor: CanWorkOrders, dispute_id: Id, body: EscalateDisputeIn, session: SessionDep
) -> DisputeRead:
    """Mark the dispute for mediation or arbitration (or change which), with why."""
    actions.escalate_dispute(session, dispute_id=dispute_id, actor=actor, kind=body.kind, note=body.note)
    return _answer(session, dispute_id)


@router.post("/disputes/{dispute_id}/contest", name="disputes.contest")
def contest(actor: CanWorkOrders, dispute_id: Id, body: ContestDisputeIn, session: SessionDep) -> DisputeRead:
    """Decide to contest the dispute; the evidence is due by its deadline."""
    actions.contest_dispute(session, dispute_id=dispute_id, actor=actor, note=body.note)
    return _answer(session, dispute_id)


@router.post("/disputes/{dispute_id}/notes", status_code=201, name="disputes.add_note")
def add_note(
    actor: CanWorkOrders, dispute_id: Id, body: DisputeNoteIn, session: SessionDep
) -> DisputeNoteRead:
    """Keep a note on the dispute for the team."""
    note = actions.add_dispute_note(session, dispute_id=dispute_id, actor=actor, body=body.body)
    session.commit()
    return DisputeNoteRead.model_validate(note)


@router.post("/disputes/{dispute_id}/outcome", name="disputes.outcome")
def outcome(actor: CanWorkOrders, dispute_id: Id, body: DisputeOutcomeIn, session: SessionDep) -> DisputeRead:
    """Record by hand how the dispute ended (won or lost) where no gateway event says so."""
    actions.record_dispute_outcome(
        session, dispute_id=dispute_id, actor=actor, outcome=body.outcome, at=body.at
    )
    return _answer(session, dispute_id)


def pack_read(session: SessionDep, dispute: Dispute) -> EvidencePackRead:
    """The evidence pack with the gateway's own fields and any limit they break."""
    pack = build_evidence_pack(session, dispute)
    fields = field_map(pack)
    prior = [PriorOrderRead.model_validate(p, from_attributes=True) for p in pack.prior_orders]
    return EvidencePackRead(
        dispute_id=pack.dispute_id,
        gateway=pack.gateway,
        reason=pack.reason.value,
        language=pack.language,
        letter=pack.letter,
        letter_edited=pack.letter_edited,
        items=[i.value for i in pack.present()],
        excluded=pack.excluded,
        order=pack.order,
        lines=pack.lines,
        customer={k: v for k, v in pack.customer.items() if k != "shipping_address_fields"},
        purchase=pack.purchase,
        fulfilments=pack.fulfilments,
        refunds=pack.refunds,
        communication=pack.communication,
        policies=pack.policies,
        prior_orders=prior,
        compelling_evidence_3=[p for p in prior if p.compelling],
        files=pack.files,
        extra_text=pack.extra_text,
        gateway_fields=fields,
        over_limits=over_limits(pack.gateway, fields, sum(f["size"] for f in pack.files)),
    )


@router.patch("/disputes/{dispute_id}", name="disputes.update")
def update(actor: CanWorkOrders, dispute_id: Id, body: DisputeUpdate, session: SessionDep) -> DisputeRead:
    """Record the dispute's fee and the amount lost."""
    actions.update_dispute(
        session, dispute_id=dispute_id, actor=actor, fee=body.fee, amount_lost=body.amount_lost
    )
    return _answer(session, dispute_id)


@router.get("/disputes/{dispute_id}/evidence", name="disputes.evidence")
def evidence(actor: CanRead, dispute_id: Id, session: SessionDep) -> EvidencePackRead:
    """The evidence pack as it would be sent: sections, letter, CE3.0 orders and the gateway's fields."""
    return pack_read(session, service.get_dispute(session, dispute_id))


@router.post("/disputes/{dispute_id}/evidence", name="disputes.edit_evidence")
def edit_evidence(
    actor: CanWorkOrders, dispute_id: Id, body: EvidenceEditIn, session: SessionDep
) -> EvidencePackRead:
    """Edit the pack before it is sent: the letter, its language, items left out, extra text."""
    actions.save_evidence(
        session,
        dispute_id=dispute_id,
        actor=actor,
        letter=body.letter,
        language=body.language,
        excluded=body.excluded,
        extra_text=body.extra_text,
    )
    session.commit()
    return pack_read(session, service.get_dispute(session, dispute_id))


@router.post("/disputes/{dispute_id}/files", status_code=201, name="disputes.add_file")
def add_file(
    actor: CanWorkOrders, dispute_id: Id, form: Annotated[EvidenceFileForm, Form()], session: SessionDep
) -> DisputeFileRead:
    """Add a PDF, PNG or JPEG to the evidence (checked by its bytes, up to 5 MB)."""
    file = form.file
    data = file.file.read(MAX_FILE_BYTES + 1)
    added = actions.add_dispute_file(
        session, dispute_id=dispute_id, actor=actor, filename=file.filename or "evidence", data=data
    )
    session.commit()
    return DisputeFileRead.model_validate(added)


@router.post("/disputes/{dispute_id}/submit", name="disputes.submit")
def submit(actor: CanWorkOrders, dispute_id: Id, session: SessionDep) -> DisputeRead:
    """Send the evidence to the gateway (Stripe, Shopify Payments) once, before the deadline."""
    actions.submit_evidence(session, dispute_id=dispute_id, actor=actor)
    return _answer(session, dispute_id)


@router.get(
    "/disputes/{dispute_id}/evidence-pack.pdf",
    name="disputes.evidence_pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The evidence pack"},
        503: {"description": "A font is missing (pdf_font_missing)", **_PROBLEM},
    },
)
def evidence_pdf(actor: CanRead, dispute_id: Id, session: SessionDep) -> Response:
    """The evidence pack as a PDF: the letter, the evidence index and each document."""
    dispute = service.get_dispute(session, dispute_id)
    body = render_pack_pdf(
        build_evidence_pack(session, dispute), files=service.file_bytes(session, dispute.id)
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dispute-{dispute.id}-evidence.pdf"'},
    )


@router.put("/dispute-letters/{reason}/{language}", name="disputes.letter_template")
def put_letter_template(
    actor: CanManageSettings,
    reason: DisputeReason,
    language: str,
    body: LetterTemplateIn,
    session: SessionDep,
) -> dict[str, str]:
    """Make the merchant's own rebuttal letter the one written for a reason in a language."""
    actions.set_letter_template(session, reason=reason, language=language, body=body.body, actor=actor)
    session.commit()
    return {"reason": reason.value, "language": language, "body": body.body.strip()}
