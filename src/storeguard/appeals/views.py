"""Appeals on the admin pages: the queue by target time, one appeal with the decision form, its files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.appeals import actions, policy, service
from storeguard.appeals.enums import AppealCondition, AppealDecision, AppealError, AppealStatus
from storeguard.appeals.words import block_reason_words
from storeguard.core.api import SessionDep
from storeguard.core.audit import events_for
from storeguard.core.clock import now
from storeguard.core.schemas import Id
from storeguard.customers.models import Customer
from storeguard.lists.models import CustomerBlock
from storeguard.staff.pages import PageBlockCustomers, PageRead
from storeguard.web.context import NavItem, add_nav, page_user, speaker
from storeguard.web.forms import Form, FormDep, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import ATTENTION, Panel, add_panel, tile
from storeguard.web.refusals import register_refusals
from storeguard.web.steps import take_step
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words, timeline_items

router = APIRouter(include_in_schema=False)
add_nav(NavItem(N_("Appeals"), "/appeals", order=27))
STATUS = {
    AppealStatus.open: (N_("Waiting for a decision"), "warn"),
    AppealStatus.upheld: (N_("Block kept"), ""),
    AppealStatus.lifted: (N_("Block lifted"), "ok"),
    AppealStatus.lifted_with_conditions: (N_("Lifted with a condition"), "info"),
}
DECISIONS = {
    AppealDecision.uphold: N_("Keep the block"),
    AppealDecision.lift: N_("Lift the block"),
    AppealDecision.lift_with_conditions: N_("Lift with a condition"),
}
CONDITIONS = {
    AppealCondition.verify_only: N_("Ask for verification on their orders"),
    AppealCondition.review_only: N_("A person checks their orders before they are sent"),
}
register_refusals(
    {
        AppealError.own_block: N_("You made this block: another person decides its appeal."),
        AppealError.override_reason_required: N_(
            "You made this block: as the owner, write why you decide it yourself."
        ),
        AppealError.already_decided: N_("This appeal was decided already."),
        AppealError.invalid_decision: N_("Choose a decision."),
        AppealError.condition_required: N_("Choose the condition that stays."),
    }
)
register_event_words(
    {
        "appeal.submitted": N_("Appeal sent by the customer"),
        "appeal.decided": N_("Appeal decided"),
    }
)


def appeal_tiles(request: Request, session: Session, _subject: object) -> Panel:
    """Appeals waiting for a decision."""
    waiting = service.open_count(session)
    return tile(
        N_("Appeals waiting"), waiting, attention=waiting > 0, order=37, group=ATTENTION, href="/appeals"
    )


add_panel("dashboard.tiles", "appeals.waiting", appeal_tiles)


@router.get("/appeals", name="appeals.page_list")
def queue(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    status: Annotated[AppealStatus | None, Query()] = AppealStatus.open,
) -> Response:
    """The queue: appeals waiting for a decision, the soonest target time first."""
    rows, total = service.list_appeals(session, status=status, limit=200)
    at = now()
    ids = {a.customer_id for a in rows}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    )
    context = {
        "rows": [
            {"a": a, "overdue": policy.is_overdue(AppealStatus(a.status), a.answer_by, at)} for a in rows
        ],
        "customers": customers,
        "total": total,
        "status": status,
        "statuses": STATUS,
    }
    return render(request, "appeals/queue.html", context)


def _appeal_page(
    request: Request, session: Session, appeal_id: int, form: Form | None = None, status: int = 200
) -> Response:
    appeal = service.get_appeal(session, appeal_id)
    block = session.get(CustomerBlock, appeal.block_id)
    assert block is not None  # a foreign key holds it
    user = page_user(request)
    context: dict[str, Any] = {
        "appeal": appeal,
        "block": block,
        "customer": session.get(Customer, appeal.customer_id),
        "reason_words": block_reason_words(session, block, speaker(request).language.value),
        "overdue": policy.is_overdue(AppealStatus(appeal.status), appeal.answer_by, now()),
        # The one who blocked sees why they may not decide; an owner is asked for a written reason.
        "own_block": user is not None and block.created_by == f"staff:{user.email}",
        "is_owner": user is not None and user.role == "owner",
        "timeline": timeline_items(events_for(session, "appeal", appeal.id)),
        "form": form or Form(values={"decision": AppealDecision.uphold.value}),
        "statuses": STATUS,
        "decisions": DECISIONS,
        "conditions": CONDITIONS,
    }
    return render(request, "appeals/detail.html", context, status_code=status)


@router.get("/appeals/{appeal_id}", name="appeals.page_detail")
def appeal_page(actor: PageRead, request: Request, session: SessionDep, appeal_id: Id) -> Response:
    """One appeal: the customer's words and files, the block, and the decision form."""
    return _appeal_page(request, session, appeal_id)


@router.post("/appeals/{appeal_id}/decide", name="appeals.page_decide")
def decide(
    actor: PageBlockCustomers, request: Request, session: SessionDep, appeal_id: Id, data: FormDep
) -> Response:
    """Decide the appeal; a refusal shows the appeal again with why, and nothing changed."""
    form = sent(data)
    decision = str(form.value("decision"))
    return take_step(
        request,
        session,
        lambda: actions.decide_appeal(
            session,
            appeal_id=appeal_id,
            actor=actor,
            decision=decision,
            note=str(form.value("note")),
            condition=str(form.value("condition"))
            if decision == AppealDecision.lift_with_conditions
            else None,
            override_reason=str(form.value("override_reason")),
        ),
        form=form,
        done_url=f"/appeals/{appeal_id}",
        done=N_("Decided: the customer is told by mail."),
        show_again=lambda refused, code: _appeal_page(request, session, appeal_id, refused, code),
    )


@router.get("/appeals/{appeal_id}/files/{file_id}", name="appeals.page_file")
def appeal_file(actor: PageRead, session: SessionDep, appeal_id: Id, file_id: Id) -> Response:
    """One file the customer attached, as a download (never shown inline: it came from outside)."""
    found = service.get_attachment(session, appeal_id, file_id)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "content-disposition": f'attachment; filename="appeal-{appeal_id}-{found.id}"',
            "x-content-type-options": "nosniff",
        },
    )
