"""Disputes on the admin pages: the inbox by time left, a dispute with its history and the answer
forms, the dashboard's figures and the disputes on an order's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.schemas import Id
from storeguard.disputes import actions, service
from storeguard.disputes.enums import DisputeError, DisputeReason, DisputeStatus
from storeguard.disputes.policy import REMINDER_DAYS, is_overdue, may_answer, normalized_reason
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
        "status": status,
        "now": at,
        "win_rates": service.win_rates(session),
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
        "form": form or Form(),
        **_labels(),
    }
    return render(request, "disputes/detail.html", context, status_code=status)


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
