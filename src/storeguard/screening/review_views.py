"""The review queue: held orders one at a time, the longest held first, approved or cancelled in turn.

Approving, cancelling and adding a note call the same actions as the JSON review routes and need
the same permission. With htmx the work area alone is swapped for the next order; without
JavaScript a plain post answers 303 to the next order with a flash. A refusal shows the same
order again with the field marked, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import CommonError, DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.orders.enums import CancelReason
from storeguard.orders.models import Order
from storeguard.orders.pages import CANCEL_BLOCKERS, FINANCIAL_STATUS, HELD, ORDER_STATUS
from storeguard.screening import actions, service
from storeguard.screening.errors import ScreeningError
from storeguard.screening.review_pages import IDENTIFIER_LABELS, cancel_reasons, review_view
from storeguard.screening.views import decision_panel
from storeguard.staff.pages import PageRead, PageReviewOrders
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, refuse, sent
from storeguard.web.i18n import N_
from storeguard.web.panels import panels
from storeguard.web.refusals import register_refusals
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)
WORK = "review-work"  # the part of the page an approve, cancel, note or next/previous swaps
NOTE_MAX = 5000  # as the JSON route's AddReviewNoteIn

add_nav(NavItem(N_("Review queue"), "/reviews", order=30))
register_refusals(
    {
        **CANCEL_BLOCKERS,
        ScreeningError.order_not_held: N_(
            "This order is no longer held for review: someone has already decided it."
        ),
        ScreeningError.order_not_open: N_("This order is no longer open, so it cannot be approved."),
        CommonError.note_required: N_("Write the note first."),
    }
)


def _swaps_work(request: Request) -> bool:
    return request.headers.get("hx-target") == WORK


def _show(
    request: Request,
    session: Session,
    order: Order | None,
    *,
    cancel_form: Form | None = None,
    note_form: Form | None = None,
    problem: str | None = None,
    done: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render the queue at one order: the whole page, or only the work area for htmx."""
    view = review_view(session, order) if order is not None else None
    context = {
        "view": view,
        "panel": decision_panel(request, session, order) if order is not None else None,
        "cancel_form": cancel_form or Form(),
        "cancel_open": cancel_form is not None,
        "note_form": note_form or Form(),
        "problem": problem,
        "done": done,
        "reasons": [(value, speaker(request).gettext(label)) for value, label in cancel_reasons()],
        "order_status": ORDER_STATUS,
        "financial_status": FINANCIAL_STATUS,
        "held_label": HELD,
        "identifier_labels": IDENTIFIER_LABELS,
        "may_review": _may_review(request),
        # What other domains know of the customer (risk's findings), registered on this slot.
        "customer_panels": panels("review.customer", request, session, view.customer)
        if view is not None and view.customer is not None
        else [],
    }
    name = "screening/_review.html" if _swaps_work(request) else "screening/review.html"
    return render(request, name, context, status_code=status, headers=headers)


def _may_review(request: Request) -> bool:
    user = getattr(request.state, "page_user", None)
    return user is not None and user.can(Permission.review_orders)


@router.get("/reviews", name="reviews.page_queue")
def queue(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Show the order that has waited longest, or say that nothing waits."""
    return _show(request, session, service.oldest_held(session))


@router.get("/reviews/{order_id}", name="reviews.page")
def review_page(actor: PageRead, request: Request, session: SessionDep, order_id: Id) -> Response:
    """Show one order of the queue (an order already decided says so and offers the next)."""
    return _show(request, session, service.get_held_order(session, order_id))


def _next_after(session: Session, order: Order) -> Order | None:
    """Return the order to show after deciding ``order``: the next one waiting, else the oldest."""
    spot = service.queue_spot(session, order)
    if spot.next_id is not None:
        return service.get_held_order(session, spot.next_id)
    return service.oldest_held(session)


def _decided(request: Request, session: Session, order: Order, message: str) -> Response:
    """Go on to the next order: swap it in (htmx), or redirect to it with the message (303)."""
    following = _next_after(session, order)
    address = f"/reviews/{following.id}" if following is not None else "/reviews"
    if _swaps_work(request):
        return _show(request, session, following, done=message, headers={"HX-Push-Url": address})
    response = RedirectResponse(address, status_code=303)
    flash.add(response, request, message)
    return response


def _act(
    request: Request,
    session: Session,
    order: Order,
    do: Callable[[], object],
    done: str,
    *,
    refused: Callable[[DomainError], Response],
) -> Response:
    try:
        with attempt(session):
            do()
    except DomainError as error:
        session.expire_all()  # shown again as the database holds it: the savepoint undid the attempt
        return refused(error)
    session.commit()
    return _decided(request, session, order, done)


@router.post("/reviews/{order_id}/approve", name="reviews.page_approve")
def approve(actor: PageReviewOrders, request: Request, session: SessionDep, order_id: Id) -> Response:
    """Release the held order to fulfilment and go on to the next one."""
    order = service.get_held_order(session, order_id)
    said = speaker(request)

    def refused(error: DomainError) -> Response:
        return _show(
            request, session, order, problem=refuse(Form(), error, said).message, status=error.status
        )

    return _act(
        request,
        session,
        order,
        lambda: actions.approve_review(session, order_id=order.id, actor=actor),
        said.gettext("Order %(number)s approved: it may be shipped now.", number=order.number),
        refused=refused,
    )


@router.post("/reviews/{order_id}/cancel", name="reviews.page_cancel")
def cancel(
    actor: PageReviewOrders, request: Request, session: SessionDep, order_id: Id, data: FormDep
) -> Response:
    """Cancel the held order, refunding and restocking as ticked, and go on to the next one."""
    order = service.get_held_order(session, order_id)
    said, form = speaker(request), sent(data)
    reason = next((r for r in CancelReason if r.value == form.value("reason")), None)
    if reason is None:
        form.errors["reason"] = said.gettext("Choose one of the reasons.")
    note = str(form.value("note")).strip()
    if len(note) > NOTE_MAX:
        form.errors["note"] = said.gettext("This text is too long.")
    if reason is None or not form.ok:
        return _show(request, session, order, cancel_form=form, status=422)
    refund, restock = form.checked("refund"), form.checked("restock")
    message = (
        said.gettext("Order %(number)s cancelled and refunded.", number=order.number)
        if refund
        else said.gettext("Order %(number)s cancelled. No money was moved.", number=order.number)
    )
    return _act(
        request,
        session,
        order,
        lambda: actions.cancel_review(
            session,
            order_id=order.id,
            actor=actor,
            refund=refund,
            restock=restock,
            note=note or None,
            reason=reason,
        ),
        message,
        refused=lambda error: _show(
            request, session, order, cancel_form=refuse(form, error, said), status=error.status
        ),
    )


@router.post("/reviews/{order_id}/notes", name="reviews.page_note")
def add_note(
    actor: PageReviewOrders, request: Request, session: SessionDep, order_id: Id, data: FormDep
) -> Response:
    """Add a note to the order and show it again with the note."""
    order = service.get_held_order(session, order_id)
    said, form = speaker(request), sent(data)
    body = str(form.value("body")).strip()
    if len(body) > NOTE_MAX:
        form.errors["body"] = said.gettext("This text is too long.")
        return _show(request, session, order, note_form=form, status=422)
    try:
        with attempt(session):
            actions.add_review_note(session, order_id=order.id, actor=actor, body=body)
    except DomainError as error:
        return _show(request, session, order, note_form=refuse(form, error, said), status=error.status)
    session.commit()
    message = said.gettext("Note added.")
    if _swaps_work(request):
        return _show(request, session, order, done=message)
    response = RedirectResponse(f"/reviews/{order.id}", status_code=303)
    flash.add(response, request, message)
    return response
