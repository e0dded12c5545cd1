"""Disputes on the admin pages: the inbox by time left, a dispute with its history and the answer
forms, the dashboard's figures and the disputes on an order's page."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.schemas import Id
from storeguard.disputes import actions, service
from storeguard.disputes.actions import SUBMITTED_BY_API
from storeguard.disputes.enums import (
    DisputeError,
    DisputeEscalation,
    DisputeReason,
    DisputeStatus,
    EvidenceItem,
)
from storeguard.disputes.evidence import build_evidence_pack
from storeguard.disputes.fields import field_map, over_limits
from storeguard.disputes.letters import LANGUAGES
from storeguard.disputes.pdf import TITLES, render_pack_pdf
from storeguard.disputes.policy import (
    MAX_FILE_BYTES,
    REMINDER_DAYS,
    escalation_suggested,
    evidence_blocker,
    is_overdue,
    may_answer,
    may_escalate,
    normalized_reason,
)
from storeguard.orders.models import Order
from storeguard.orders.service import orders_by_id
from storeguard.staff.pages import PageRead, PageWorkOrders
from storeguard.web.context import NavItem, add_nav
from storeguard.web.forms import Form, FormDep, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import ATTENTION, Panel, add_panel, tile
from storeguard.web.refusals import register_refusals
from storeguard.web.steps import take_step
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Disputes"), "/disputes", order=24))
PAGE_SIZE = 100

STATUS = {
    DisputeStatus.warning_needs_response: (N_("Inquiry: answer needed"), "warn"),
    DisputeStatus.warning_under_review: (N_("Inquiry under review"), "info"),
    DisputeStatus.warning_closed: (N_("Inquiry closed"), ""),
    DisputeStatus.needs_response: (N_("Answer needed"), "warn"),
    DisputeStatus.under_review: (N_("Under review"), "info"),
    DisputeStatus.won: (N_("Won"), "ok"),
    DisputeStatus.lost: (N_("Lost"), "bad"),
    DisputeStatus.accepted: (N_("Accepted"), ""),
    DisputeStatus.closed: (N_("Closed"), ""),
}
REASONS = {
    DisputeReason.fraud: N_("Fraud"),
    DisputeReason.not_received: N_("Not received"),
    DisputeReason.not_as_described: N_("Not as described"),
    DisputeReason.duplicate: N_("Duplicate"),
    DisputeReason.credit_not_processed: N_("Credit not processed"),
    DisputeReason.subscription: N_("Subscription"),
    DisputeReason.other: N_("Other"),
}
ESCALATIONS = {
    DisputeEscalation.mediation: N_("Mediation"),
    DisputeEscalation.arbitration: N_("Arbitration"),
}
GATEWAYS = {
    "stripe": "Stripe",
    "square": "Square",
    "paypal": "PayPal",
    "shopify_payments": "Shopify Payments",
    "manual": N_("By hand"),
}
register_refusals(
    {
        DisputeError.already_answered: N_("This dispute was answered already."),
        DisputeError.past_due: N_("The deadline to answer this dispute has passed."),
        DisputeError.dispute_closed: N_("This dispute takes no answer now."),
        DisputeError.reason_required: N_("Say why; it is kept with the dispute."),
        DisputeError.note_required: N_("Write the note first."),
        DisputeError.already_submitted: N_("The evidence was sent already; a gateway takes it once."),
        DisputeError.order_unmatched: N_(
            "This dispute is not matched to an order yet, so there is no evidence to send."
        ),
        DisputeError.over_gateway_limit: N_(
            "The evidence is over the gateway's limits; shorten the named field."
        ),
        DisputeError.file_type_refused: N_("Only a PDF, PNG or JPEG file can be evidence."),
        DisputeError.file_too_large: N_("A file is too large. Each file may be at most 5 MB."),
        DisputeError.unknown_language: N_("Choose English, Norwegian, Hebrew or Chinese."),
        DisputeError.invalid_escalation: N_("Choose mediation or arbitration."),
        DisputeError.nothing_to_escalate: N_("This dispute has ended: there is nothing to take further."),
        DisputeError.gateway_not_wired: N_(
            "This gateway takes evidence by hand: download the PDF and copy the fields."
        ),
    }
)
register_event_words(
    {
        "dispute.opened": N_("Dispute opened"),
        "dispute.updated": N_("Dispute updated by the gateway"),
        "dispute.accepted": N_("Dispute accepted, not contested"),
        "dispute.contested": N_("Decided to contest"),
        "dispute.note_added": N_("Note added"),
        "dispute.won": N_("Dispute won"),
        "dispute.lost": N_("Dispute lost"),
        "dispute.evidence_edited": N_("Evidence edited"),
        "dispute.file_added": N_("File added to the evidence"),
        "dispute.evidence_submitted": N_("Evidence sent to the gateway"),
        "dispute.costs_recorded": N_("Fee and amount lost recorded"),
        "dispute.escalated": N_("Marked for mediation or arbitration"),
    }
)


def _labels() -> dict[str, Any]:
    return {"dispute_status": STATUS, "reasons": REASONS, "gateways": GATEWAYS}


def _row(dispute: Any, at: Any) -> dict[str, Any]:
    return {
        "d": dispute,
        "reason": normalized_reason(dispute.reason),
        "overdue": is_overdue(dispute.status, dispute.evidence_due_at, at),
        "open": may_answer(dispute.status, dispute.response),
    }


def dispute_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Disputes whose answer is due within the first reminder, and those already past due."""
    at = now()
    soon, late = service.unanswered_due(session, at, at + timedelta(days=max(REMINDER_DAYS)))
    return [
        tile(
            N_("Disputes due within 5 days"),
            soon,
            attention=soon > 0,
            order=35,
            group=ATTENTION,
            href="/disputes",
        ),
        tile(
            N_("Disputes past their deadline"),
            late,
            attention=late > 0,
            order=36,
            group=ATTENTION,
            href="/disputes",
        ),
    ]


add_panel("dashboard.tiles", "disputes.due", dispute_tiles)


def order_disputes_panel(request: Request, session: Session, order: Order) -> Panel | None:
    """The order's disputes on its page."""
    rows, _ = service.list_disputes(session, order_id=order.id)
    if not rows:
        return None
    at = now()
    return Panel(
        "disputes/_order_disputes.html", {"rows": [_row(d, at) for d in rows], **_labels()}, order=25
    )


add_panel("order.side", "disputes.of_order", order_disputes_panel)


@router.get("/disputes", name="disputes.page_list")
def inbox(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    status: Annotated[DisputeStatus | None, Query()] = None,
) -> Response:
    """The inbox: what must be answered, soonest deadline first; then what is under review or ended."""
    rows, total = service.list_disputes(session, status=status, limit=PAGE_SIZE)
    at = now()
    context = {
        "rows": [_row(d, at) for d in rows],
        "total": total,
        "orders": orders_by_id(session, {d.order_id for d in rows if d.order_id}),
        "reminders": service.next_reminders(session, (d.id for d in rows)),
        "status": status,
        "now": at,
        "win_rates": service.win_rates(session),
        "evidence_rates": service.win_rates_by_evidence(session),
        "evidence_titles": {item.value: title for item, title in TITLES.items()},
        **_labels(),
    }
    return render(request, "disputes/inbox.html", context)


def _dispute_page(
    request: Request, session: Session, dispute_id: int, form: Form | None = None, status: int = 200
) -> Response:
    dispute = service.get_dispute(session, dispute_id)
    at = now()
    context = {
        "row": _row(dispute, at),
        "dispute": dispute,
        "order": orders_by_id(session, {dispute.order_id}).get(dispute.order_id)
        if dispute.order_id
        else None,
        "timeline": timeline_items(events_for(session, "dispute", dispute.id)),
        "escalation": _escalation(session, dispute),
        "form": form or Form(),
        **_evidence_context(session, dispute, at),
        **_labels(),
    }
    return render(request, "disputes/detail.html", context, status_code=status)


def _escalation(session: Session, dispute: Any) -> dict[str, Any]:
    """Whether the dispute may still go to mediation or arbitration, and whether its amount asks for it."""
    threshold = service.escalation_thresholds(session, {dispute.shop_id})[dispute.shop_id]
    return {
        "may": may_escalate(dispute.status),
        "suggested": escalation_suggested(dispute.status, dispute.amount, dispute.escalation, threshold),
        "threshold": threshold,
        "kinds": ESCALATIONS,
    }


def _evidence_context(session: Session, dispute: Any, at: Any) -> dict[str, Any]:
    """The pack preview, what may be done with it, and the gateway's fields as they would go."""
    pack = build_evidence_pack(session, dispute)
    fields = field_map(pack)
    blocker = evidence_blocker(
        dispute.status, dispute.response, dispute.evidence_submitted_at, dispute.evidence_due_at, at
    )
    return {
        "pack": pack,
        "pack_items": [
            (i, TITLES[i], i.value not in pack.excluded) for i in pack.present(with_excluded=True)
        ],
        "gateway_fields": json.dumps(fields, ensure_ascii=False, indent=2),
        "over_limits": over_limits(pack.gateway, fields, sum(f["size"] for f in pack.files)),
        "may_edit_evidence": blocker is None,
        "may_submit": blocker is None
        and dispute.order_id is not None
        and dispute.gateway in SUBMITTED_BY_API,
        "by_hand": dispute.gateway not in SUBMITTED_BY_API,
        "letter_languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "prior_shown": pack.prior_orders[:PRIOR_SHOWN],
        "shared_words": SHARED_WORDS,
    }


PRIOR_SHOWN = 20
# What an earlier order shares with the disputed one, in the merchant's words.
SHARED_WORDS = {
    "ip": N_("IP address"),
    "device": N_("device"),
    "account": N_("customer account"),
    "shipping_address": N_("delivery address"),
    "email": N_("email"),
    "card": N_("card"),
}
LANGUAGE_NAMES = {"en": "English", "nb": "Norsk bokmål", "he": "עברית", "zh": "中文"}


@router.get("/disputes/{dispute_id}/evidence-pack.pdf", name="disputes.page_pdf")
def evidence_pdf(actor: PageRead, session: SessionDep, dispute_id: Id) -> Response:
    """Download the evidence pack as a PDF."""
    dispute = service.get_dispute(session, dispute_id)
    body = render_pack_pdf(
        build_evidence_pack(session, dispute), files=service.file_bytes(session, dispute.id)
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dispute-{dispute.id}-evidence.pdf"'},
    )


@router.post("/disputes/{dispute_id}/evidence", name="disputes.page_evidence")
def edit_evidence(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Keep the edited letter, its language, the items used and the extra text."""
    form = sent(data)
    held = [i.value for i in EvidenceItem]
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.save_evidence(
            session,
            dispute_id=dispute_id,
            actor=actor,
            letter=str(form.value("letter")),
            language=str(form.value("language")) or None,
            excluded=[i for i in held if f"shown_{i}" in data and f"use_{i}" not in data],
            extra_text=str(form.value("extra_text")),
        ),
        N_("The evidence is saved."),
    )


@router.post("/disputes/{dispute_id}/files", name="disputes.page_file")
async def add_file(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Add a PDF or image to the evidence."""
    upload = data.get("file")
    content = await upload.read(MAX_FILE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "evidence"
    return _act(
        request,
        session,
        dispute_id,
        sent(data),
        lambda: actions.add_dispute_file(
            session, dispute_id=dispute_id, actor=actor, filename=name, data=content
        ),
        N_("The file is added to the evidence."),
    )


@router.post("/disputes/{dispute_id}/submit", name="disputes.page_submit")
def submit(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Send the evidence to the gateway."""
    return _act(
        request,
        session,
        dispute_id,
        sent(data),
        lambda: actions.submit_evidence(session, dispute_id=dispute_id, actor=actor),
        N_("The evidence is on its way to the gateway."),
    )


@router.get("/disputes/{dispute_id}", name="disputes.page_detail")
def dispute_page(actor: PageRead, request: Request, session: SessionDep, dispute_id: Id) -> Response:
    """A dispute: money, reason, deadline, what the gateway said, the team's notes, and the answer."""
    return _dispute_page(request, session, dispute_id)


def _act(
    request: Request, session: Session, dispute_id: int, form: Form, do: Callable[[], object], done: str
) -> Response:
    """Run one answer; a refusal shows the dispute again with the reason, and nothing changed."""
    return take_step(
        request,
        session,
        do,
        form=form,
        done_url=f"/disputes/{dispute_id}",
        done=done,
        show_again=lambda refused, status: _dispute_page(request, session, dispute_id, refused, status),
    )


@router.post("/disputes/{dispute_id}/accept", name="disputes.page_accept")
def accept(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Do not contest, saying why."""
    form = sent(data)
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.accept_dispute(
            session, dispute_id=dispute_id, actor=actor, reason=str(form.value("reason"))
        ),
        N_("Accepted: the dispute is not contested."),
    )


@router.post("/disputes/{dispute_id}/contest", name="disputes.page_contest")
def contest(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Decide to contest."""
    form = sent(data)
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.contest_dispute(
            session, dispute_id=dispute_id, actor=actor, note=str(form.value("note"))
        ),
        N_("Marked as contested: send the evidence before the deadline."),
    )


@router.post("/disputes/{dispute_id}/escalate", name="disputes.page_escalate")
def escalate(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Mark for mediation or arbitration."""
    form = sent(data)
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.escalate_dispute(
            session,
            dispute_id=dispute_id,
            actor=actor,
            kind=str(form.value("kind")),
            note=str(form.value("escalation_note")),
        ),
        N_("Marked for mediation or arbitration."),
    )


@router.post("/disputes/{dispute_id}/notes", name="disputes.page_note")
def note(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Keep a note for the team."""
    form = sent(data)
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.add_dispute_note(
            session, dispute_id=dispute_id, actor=actor, body=str(form.value("body"))
        ),
        N_("Note added."),
    )


@router.post("/disputes/{dispute_id}/outcome", name="disputes.page_outcome")
def outcome(
    actor: PageWorkOrders, request: Request, session: SessionDep, dispute_id: Id, data: FormDep
) -> Response:
    """Record how it ended, by hand."""
    form = sent(data)
    return _act(
        request,
        session,
        dispute_id,
        form,
        lambda: actions.record_dispute_outcome(
            session, dispute_id=dispute_id, actor=actor, outcome=str(form.value("outcome"))
        ),
        N_("The outcome is recorded."),
    )
