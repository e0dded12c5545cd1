"""The order pages: the list with search, one order, and the cancel and refund dialogs.

Each page loads with the same dependencies as the JSON routes, checks the same permission, calls
the same one action, commits and redirects with a flash; a refusal shows the form again with the
field marked, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import CommonError, DomainError, NotFound
from storeguard.core.schemas import Id
from storeguard.orders import actions, policy, service
from storeguard.orders.enums import CancelReason, FinancialStatus, FulfillmentStatus, OrderStatus
from storeguard.orders.errors import OrderError
from storeguard.orders.models import Order
from storeguard.orders.pages import (
    CANCEL_BLOCKERS,
    CANCEL_REASONS,
    FINANCIAL_STATUS,
    FULFILLMENT_STATE,
    FULFILLMENT_STATUS,
    HELD,
    ORDER_STATUS,
    TRANSACTION_KINDS,
    TRANSACTION_STATUS,
    customers_of,
    order_view,
)
from storeguard.orders.schemas import CancelOrderIn, OrderFilter
from storeguard.staff.pages import PageRead, PageWorkOrders
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import (
    Form,
    FormDep,
    attempt,
    check,
    money,
    query_filters,
    refuse,
    sent,
    whole_number,
)
from storeguard.web.i18n import N_, Speaker
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import Panel, add_panel, panels
from storeguard.web.refusals import describe, register_refusals, sentence_for
from storeguard.web.templating import render
from storeguard.web.timeline import timeline_items

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
RESULTS = "orders-results"  # the part of the list page a search refreshes

add_nav(NavItem(N_("Orders"), "/orders", order=20))
register_refusals(
    {
        **CANCEL_BLOCKERS,
        OrderError.refund_exceeds_captured: N_("That is more than is left to refund on this order."),
        OrderError.shipping_exceeds_refundable: N_("That is more shipping than is left to refund."),
        OrderError.quantity_exceeds_refundable: N_("A quantity is more than is left to refund on its line."),
        OrderError.nothing_to_refund: N_("Choose a quantity, shipping or an amount to refund."),
        OrderError.no_email_to_notify: N_(
            "This order has no email address, so the customer cannot be notified."
        ),
        OrderError.capture_exceeds_authorized: N_("That is more than is authorized and not yet captured."),
        OrderError.nothing_to_void: N_("No authorized money is left to release."),
        OrderError.not_authorized_payment: N_("No authorized money is left to capture."),
        OrderError.nothing_to_fulfill: N_("Nothing is left to ship."),
        OrderError.order_held: N_("This order is held for review. Approve it before shipping it."),
        OrderError.order_cancelled: N_("This order is cancelled."),
        OrderError.fulfillment_already_cancelled: N_("This fulfilment is already cancelled."),
        OrderError.invalid_cancel_reason: N_("Choose one of the reasons."),
        CommonError.invalid_amount: N_(
            "Enter an amount such as 12.50, no more decimals than the currency has."
        ),
    }
)


def get_current_order(order_id: Id, session: SessionDep) -> Order:
    """Load the order named in the address, or answer the 404 page."""
    return service.get_order(session, order_id)


CurrentOrder = Annotated[Order, Depends(get_current_order)]


def _labels() -> dict[str, Any]:
    return {
        "order_status": ORDER_STATUS,
        "financial_status": FINANCIAL_STATUS,
        "fulfillment_status": FULFILLMENT_STATUS,
        "fulfillment_state": FULFILLMENT_STATE,
        "held_label": HELD,
        "cancel_reasons": CANCEL_REASONS,
        "transaction_kinds": TRANSACTION_KINDS,
        "transaction_status": TRANSACTION_STATUS,
    }


# ---- the list -----------------------------------------------------------------------------------


@router.get("/orders", name="orders.page_list")
def order_list(
    actor: PageRead,
    request: Request,
    session: SessionDep,
    filters: Annotated[OrderFilter, Depends(query_filters(OrderFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """List orders, newest first, found by number, email, customer name or state; a page by key."""
    page = service.order_page(
        session,
        filters,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    context = {
        "orders": page.rows,
        "customers": customers_of(session, page.rows),
        "links": page_links(request, page, service.order_key),
        "filters": filters,
        "statuses": list(OrderStatus),
        "financial_statuses": list(FinancialStatus),
        "fulfillment_statuses": list(FulfillmentStatus),
        **_labels(),
    }
    if request.headers.get("hx-target") == RESULTS:
        return render(request, "orders/_results.html", context)
    return render(request, "orders/list.html", context)


# ---- one order ----------------------------------------------------------------------------------


def _order_page(
    request: Request,
    session: Session,
    order: Order,
    *,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    view = order_view(session, order)
    said = speaker(request)
    timeline = timeline_items(service.timeline(session, order.id))
    context = {
        "view": view,
        "order": order,
        "timeline": timeline,
        "side_panels": panels("order.side", request, session, order),
        "cancel_blocker": sentence_for(view.cancel_blocker, said) if view.cancel_blocker else None,
        "problems": problems or {},
        "capture_form": Form(),
        **_labels(),
    }
    return render(request, "orders/detail.html", context, status_code=status)


@router.get("/orders/{order_id}", name="orders.page")
def order_page(actor: PageRead, request: Request, session: SessionDep, order: CurrentOrder) -> Response:
    """Show an order: lines, money, payments, shipments, refunds, its screening and its timeline."""
    return _order_page(request, session, order)


def _done(request: Request, order_id: int, message: str) -> Response:
    response = RedirectResponse(f"/orders/{order_id}", status_code=303)
    flash.add(response, request, message)
    return response


def _act(
    request: Request, session: Session, order_id: int, where: str, do: Callable[[], object], done: str
) -> Response:
    """Carry out one action from the order page and go back to it with ``done`` said.

    A refusal shows the order page again with the reason at the part it concerns (``where``);
    nothing changed.
    """
    try:
        with attempt(session):
            do()
    except DomainError as error:
        problems = {where: describe(error, speaker(request))}
        order = service.get_order(session, order_id)
        return _order_page(request, session, order, problems=problems, status=error.status)
    session.commit()
    return _done(request, order_id, done)


@router.post("/orders/{order_id}/capture", name="orders.page_capture")
def capture(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, data: FormDep
) -> Response:
    """Capture what is authorized (all of it, or the amount given)."""
    said, form = speaker(request), sent(data)
    amount = money(form, "amount", order.currency, said)
    if not form.ok:
        return _order_page(request, session, order, problems={"capture": form.errors["amount"]}, status=422)
    return _act(
        request,
        session,
        order.id,
        "capture",
        lambda: actions.capture_payment(session, order_id=order.id, actor=actor, amount=amount),
        said.gettext("Payment captured."),
    )


@router.post("/orders/{order_id}/void", name="orders.page_void")
def void(actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder) -> Response:
    """Release the authorized money that was not captured."""
    return _act(
        request,
        session,
        order.id,
        "capture",
        lambda: actions.void_authorization(session, order_id=order.id, actor=actor),
        speaker(request).gettext("The authorization was released."),
    )


@router.post("/orders/{order_id}/fulfil", name="orders.page_fulfil")
def fulfil(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, data: FormDep
) -> Response:
    """Ship everything still to ship, with the carrier and tracking number given."""
    form = sent(data)
    carrier = str(form.value("carrier")).strip()[:100] or None
    tracking = str(form.value("tracking_number")).strip()[:100] or None
    return _act(
        request,
        session,
        order.id,
        "fulfil",
        lambda: actions.fulfill_order(
            session, order_id=order.id, actor=actor, carrier=carrier, tracking_number=tracking
        ),
        speaker(request).gettext("Marked as shipped."),
    )


def _fulfillment_of(session: Session, order: Order, fulfillment_id: int) -> int:
    found = service.get_fulfillment(session, fulfillment_id)
    if found.order_id != order.id:
        raise NotFound(
            OrderError.fulfillment_not_found, f"order {order.id} has no fulfilment {fulfillment_id}"
        )
    return found.id


@router.post("/orders/{order_id}/fulfillments/{fulfillment_id}/cancel", name="orders.page_cancel_fulfillment")
def cancel_fulfillment(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, fulfillment_id: Id
) -> Response:
    """Cancel a shipment that was not delivered; its lines are to ship again."""
    found = _fulfillment_of(session, order, fulfillment_id)
    return _act(
        request,
        session,
        order.id,
        "fulfillments",
        lambda: actions.cancel_fulfillment(session, fulfillment_id=found, actor=actor),
        speaker(request).gettext("The fulfilment was cancelled."),
    )


@router.post("/orders/{order_id}/fulfillments/{fulfillment_id}/deliver", name="orders.page_deliver")
def deliver(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, fulfillment_id: Id
) -> Response:
    """Record that a shipment reached the customer."""
    found = _fulfillment_of(session, order, fulfillment_id)
    return _act(
        request,
        session,
        order.id,
        "fulfillments",
        lambda: actions.mark_delivered(session, fulfillment_id=found, actor=actor),
        speaker(request).gettext("Marked as delivered."),
    )


# ---- the cancel dialog --------------------------------------------------------------------------


def _cancel_dialog(
    request: Request, session: Session, order: Order, form: Form, status: int = 200
) -> Response:
    view = order_view(session, order)
    said = speaker(request)
    context = {
        "view": view,
        "order": order,
        "form": form,
        "reasons": [(r.value, said.gettext(CANCEL_REASONS[r])) for r in CancelReason],
        "blocker": sentence_for(view.cancel_blocker, said) if view.cancel_blocker else None,
        **_labels(),
    }
    return render(request, "orders/cancel.html", context, status_code=status)


@router.get("/orders/{order_id}/cancel", name="orders.page_cancel_dialog")
def cancel_dialog(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder
) -> Response:
    """Explain what cancelling does and does not do, and ask how."""
    return _cancel_dialog(request, session, order, Form())


@router.post("/orders/{order_id}/cancel", name="orders.page_cancel")
def cancel(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, data: FormDep
) -> Response:
    """Cancel the order as asked; money moves only when refund is ticked."""
    said, form = speaker(request), sent(data)
    shape = {
        "reason": form.value("reason"),
        "refund": form.checked("refund"),
        "restock": form.checked("restock"),
        "notify_customer": form.checked("notify_customer"),
        "staff_note": str(form.value("staff_note")).strip() or None,
    }
    body = check(CancelOrderIn, shape, said, form)
    if body is None:
        return _cancel_dialog(request, session, order, form, status=422)
    try:
        with attempt(session):
            actions.cancel_order(session, order_id=order.id, actor=actor, **body.model_dump())
    except DomainError as error:
        return _cancel_dialog(
            request, session, service.get_order(session, order.id), refuse(form, error, said), error.status
        )
    session.commit()
    message = (
        said.gettext("Order %(number)s cancelled and refunded.", number=order.number)
        if body.refund
        else said.gettext("Order %(number)s cancelled. No money was moved.", number=order.number)
    )
    return _done(request, order.id, message)


# ---- the refund dialog --------------------------------------------------------------------------


def _refund_dialog(
    request: Request, session: Session, order: Order, form: Form, status: int = 200
) -> Response:
    context = {"view": order_view(session, order), "order": order, "form": form, **_labels()}
    return render(request, "orders/refund.html", context, status_code=status)


def _refund_input(form: Form, order: Order, said: Speaker) -> tuple[list[actions.RefundLineSpec], int, int]:
    """Read the refund form: the lines with a quantity, shipping and the extra amount (bad fields marked)."""
    lines = []
    for line in order.line_items:
        quantity = whole_number(form, f"qty-{line.id}", said, minimum=0, maximum=line.quantity)
        if quantity > 0:
            lines.append(actions.RefundLineSpec(line.id, quantity, form.checked(f"restock-{line.id}")))
    shipping = money(form, "shipping", order.currency, said) or 0
    amount = money(form, "amount", order.currency, said) or 0
    return lines, shipping, amount


@router.post("/orders/{order_id}/refund/total", name="orders.page_refund_total")
def refund_total(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, data: FormDep
) -> Response:
    """Say what the refund being filled in would return, or why it would be refused (htmx, as one types)."""
    said, form = speaker(request), sent(data)
    specs, shipping, amount = _refund_input(form, order, said)
    context: dict[str, Any] = {"order": order, "total": None, "left": None, "problem": None}
    if not form.ok:
        context["problem"] = said.gettext(
            "One of the values is not valid; it is marked when you press Refund."
        )
    else:
        by_id = {line.id: line for line in order.line_items}
        lines = [(by_id[s.line_item_id], s.quantity) for s in specs]
        refusal = policy.refund_refusal(order, lines=lines, shipping=shipping, amount=amount)
        if refusal is not None and refusal.code == OrderError.nothing_to_refund:
            refusal = None  # nothing chosen yet is not a mistake while one is still filling in
        total = policy.refund_total(lines=lines, shipping=shipping, amount=amount)
        context["problem"] = sentence_for(refusal.code, said, default=refusal.message) if refusal else None
        context["total"], context["left"] = total, policy.refundable_amount(order) - total
    return render(request, "orders/_refund_total.html", context)


@router.get("/orders/{order_id}/refund", name="orders.page_refund_dialog")
def refund_dialog(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder
) -> Response:
    """Show what is still refundable, by line, shipping and amount, and that fees are not returned."""
    return _refund_dialog(request, session, order, Form())


@router.post("/orders/{order_id}/refund", name="orders.page_refund")
def refund(
    actor: PageWorkOrders, request: Request, session: SessionDep, order: CurrentOrder, data: FormDep
) -> Response:
    """Refund the quantities, shipping and amount given; never more than is left."""
    said, form = speaker(request), sent(data)
    lines, shipping, amount = _refund_input(form, order, said)
    if not form.ok:
        return _refund_dialog(request, session, order, form, status=422)
    try:
        with attempt(session):
            done = actions.refund_order(
                session,
                order_id=order.id,
                actor=actor,
                lines=lines,
                shipping=shipping,
                amount=amount,
                reason=str(form.value("reason")).strip()[:100] or None,
                note=str(form.value("note")).strip()[:2000] or None,
                notify_customer=form.checked("notify_customer"),
            )
    except DomainError as error:
        return _refund_dialog(
            request, session, service.get_order(session, order.id), refuse(form, error, said), error.status
        )
    session.commit()
    message = said.gettext(
        "Refunded %(amount)s. It should reach the customer between %(first)s and %(last)s.",
        amount=said.money(done.amount, done.currency),
        first=said.date(done.expected_arrival_from),
        last=said.date(done.expected_arrival_to),
    )
    return _done(request, order.id, message)


def customer_orders_panel(request: Request, session: Session, customer: Any) -> Panel:
    """The customer's latest orders on the customer page."""
    return Panel(
        "orders/_customer_orders.html",
        {"orders": service.recent_orders(session, customer.id, 10), **_labels()},
        order=10,
    )


add_panel("customer.main", "orders.recent", customer_orders_panel)
