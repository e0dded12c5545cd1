"""JSON routes for orders, their money and shipments, and the audit log.

Each route parses, loads, checks the permission (``core.permissions``, the table the order pages
use too), calls one action, commits, answers. Reading takes ``read`` (viewers); cancelling,
refunding, capturing, voiding and shipping take ``work_orders`` (agents); the whole audit log
takes ``read_audit`` (admins).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from storeguard.core.api import CanRead, CanReadAudit, CanWorkOrders, Page, PagingDep, SessionDep
from storeguard.core.audit import verify_chains
from storeguard.core.schemas import Id
from storeguard.orders import actions, service
from storeguard.orders.models import Order
from storeguard.orders.schemas import (
    AcceptCancellationRequestIn,
    AuditEventRead,
    AuditFilter,
    CancellationRequestCreate,
    CancellationRequestRead,
    CancelOrderIn,
    DeclineCancellationRequestIn,
    FulfillmentRead,
    FulfillOrderIn,
    OrderFilter,
    OrderRead,
    OrderSummary,
    RefundIn,
    RefundRead,
    TimelineEntry,
    TransactionIn,
    TransactionRead,
)
from storeguard.shops.api import ShopFilter, shop_filter

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown one", **_PROBLEM},
    403: {"description": "The key's role is too weak (code role_too_weak)", **_PROBLEM},
    404: {"description": "No such order or fulfilment", **_PROBLEM},
    409: {
        "description": "The order's state forbids it (e.g. fulfillment_active, refund_exceeds_captured)",
        **_PROBLEM,
    },
    422: {
        "description": "Invalid input (validation_failed, invalid_currency, unknown_product, ...)",
        **_PROBLEM,
    },
}

router = APIRouter(prefix="/v1", responses=PROBLEMS)


def get_current_order(order_id: Id, session: SessionDep) -> Order:
    """Load the order named in the path, or answer 404."""
    return service.get_order(session, order_id)


CurrentOrder = Annotated[Order, Depends(get_current_order)]


@router.get("/orders", tags=["orders"], name="orders.list")
def list_orders(
    actor: CanRead, session: SessionDep, paging: PagingDep, filters: Annotated[OrderFilter, Query()]
) -> Page[OrderSummary]:
    """List orders, newest first, filtered by state, customer, shop, dates or number/email."""
    shop_filter(session, filters.shop_id)
    orders, total = service.list_orders(session, filters, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[OrderSummary.model_validate(o) for o in orders],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/orders/{order_id}", tags=["orders"], name="orders.detail")
def get_order(actor: CanRead, order: CurrentOrder) -> OrderRead:
    """Show an order with its lines, payments, shipments, refunds and money ledger."""
    return OrderRead.of(order)


@router.post("/orders/{order_id}/cancel", tags=["orders"], name="orders.cancel")
def cancel_order(
    actor: CanWorkOrders, order: CurrentOrder, body: CancelOrderIn, session: SessionDep
) -> OrderRead:
    """Cancel an order. Money moves only with `refund: true`; an open fulfilment must be cancelled first."""
    actions.cancel_order(
        session,
        order_id=order.id,
        actor=actor,
        reason=body.reason,
        refund=body.refund,
        restock=body.restock,
        notify_customer=body.notify_customer,
        staff_note=body.staff_note,
    )
    session.commit()
    return OrderRead.of(service.get_order(session, order.id))


@router.post(
    "/orders/{order_id}/refunds", tags=["refunds"], name="orders.refund", status_code=status.HTTP_201_CREATED
)
def refund_order(
    actor: CanWorkOrders, order: CurrentOrder, body: RefundIn, session: SessionDep
) -> RefundRead:
    """Refund lines (with restock per line), shipping and/or an amount; never more than was captured."""
    refund = actions.refund_order(
        session,
        order_id=order.id,
        actor=actor,
        lines=[actions.RefundLineSpec(x.line_item_id, x.quantity, x.restock) for x in body.lines],
        shipping=body.shipping,
        amount=body.amount,
        reason=body.reason,
        note=body.note,
        notify_customer=body.notify_customer,
    )
    session.commit()
    return RefundRead.model_validate(refund)


@router.get("/orders/{order_id}/refunds", tags=["refunds"], name="orders.refunds")
def list_refunds(actor: CanRead, order: CurrentOrder) -> list[RefundRead]:
    """List an order's refunds with their expected arrival windows."""
    return [RefundRead.model_validate(r) for r in order.refunds]


@router.post(
    "/orders/{order_id}/transactions",
    tags=["payments"],
    name="orders.transact",
    status_code=status.HTTP_201_CREATED,
)
def add_transaction(
    actor: CanWorkOrders, order: CurrentOrder, body: TransactionIn, session: SessionDep
) -> TransactionRead:
    """Capture authorized money (`capture`) or release what is left uncaptured (`void`)."""
    if body.kind == "capture":
        transaction = actions.capture_payment(
            session,
            order_id=order.id,
            actor=actor,
            amount=body.amount,
            fee=body.fee,
            gateway_reference=body.gateway_reference,
        )
    else:
        transaction = actions.void_authorization(session, order_id=order.id, actor=actor)
    session.commit()
    return TransactionRead.model_validate(transaction)


@router.post(
    "/orders/{order_id}/fulfillments",
    tags=["fulfillments"],
    name="orders.fulfill",
    status_code=status.HTTP_201_CREATED,
)
def fulfill_order(
    actor: CanWorkOrders, order: CurrentOrder, body: FulfillOrderIn, session: SessionDep
) -> FulfillmentRead:
    """Ship some lines, or everything left to ship; refused while the order is held or cancelled."""
    lines = (
        None
        if body.lines is None
        else [actions.FulfillLineSpec(x.line_item_id, x.quantity) for x in body.lines]
    )
    fulfillment = actions.fulfill_order(
        session,
        order_id=order.id,
        actor=actor,
        lines=lines,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
    )
    session.commit()
    return FulfillmentRead.model_validate(fulfillment)


@router.post("/fulfillments/{fulfillment_id}/cancel", tags=["fulfillments"], name="fulfillments.cancel")
def cancel_fulfillment(actor: CanWorkOrders, fulfillment_id: Id, session: SessionDep) -> FulfillmentRead:
    """Cancel a shipment that was not delivered; its lines are to ship again."""
    fulfillment = actions.cancel_fulfillment(session, fulfillment_id=fulfillment_id, actor=actor)
    session.commit()
    return FulfillmentRead.model_validate(fulfillment)


@router.post("/fulfillments/{fulfillment_id}/deliver", tags=["fulfillments"], name="fulfillments.deliver")
def mark_delivered(actor: CanWorkOrders, fulfillment_id: Id, session: SessionDep) -> FulfillmentRead:
    """Record that a shipment reached the customer."""
    fulfillment = actions.mark_delivered(session, fulfillment_id=fulfillment_id, actor=actor)
    session.commit()
    return FulfillmentRead.model_validate(fulfillment)


@router.get("/orders/{order_id}/timeline", tags=["orders"], name="orders.timeline")
def order_timeline(actor: CanRead, order: CurrentOrder, session: SessionDep) -> list[TimelineEntry]:
    """Tell everything that happened to the order, oldest first: who, when, why, before and after."""
    return service.timeline(session, order.id)


@router.post(
    "/orders/{order_id}/cancellation-requests",
    tags=["orders"],
    name="orders.cancellation_request",
    status_code=status.HTTP_201_CREATED,
)
def record_cancellation_request(
    actor: CanWorkOrders, order: CurrentOrder, body: CancellationRequestCreate, session: SessionDep
) -> CancellationRequestRead:
    """Record a customer's request to cancel (customers never cancel by themselves)."""
    request = actions.record_cancellation_request(
        session, order_id=order.id, actor=actor, channel=body.channel, message=body.message
    )
    session.commit()
    return CancellationRequestRead.of(request)


@router.post(
    "/cancellation-requests/{request_id}/accept", tags=["orders"], name="cancellation_requests.accept"
)
def accept_cancellation_request(
    actor: CanWorkOrders, request_id: Id, body: AcceptCancellationRequestIn, session: SessionDep
) -> CancellationRequestRead:
    """Grant a cancellation request: the order is cancelled with reason 'customer'."""
    request = actions.accept_cancellation_request(
        session,
        request_id=request_id,
        actor=actor,
        refund=body.refund,
        restock=body.restock,
        notify_customer=body.notify_customer,
        staff_note=body.staff_note,
    )
    session.commit()
    return CancellationRequestRead.of(request)


@router.post(
    "/cancellation-requests/{request_id}/decline", tags=["orders"], name="cancellation_requests.decline"
)
def decline_cancellation_request(
    actor: CanWorkOrders, request_id: Id, body: DeclineCancellationRequestIn, session: SessionDep
) -> CancellationRequestRead:
    """Decline a cancellation request; the order goes on."""
    request = actions.decline_cancellation_request(
        session,
        request_id=request_id,
        actor=actor,
        staff_note=body.staff_note,
        notify_customer=body.notify_customer,
    )
    session.commit()
    return CancellationRequestRead.of(request)


@router.get("/audit/verify", tags=["audit"], name="audit.verify")
def verify_audit_log(session: SessionDep, actor: CanReadAudit, shop_id: ShopFilter) -> dict[str, Any]:
    """Recompute the audit log's hash chains and name the first changed or missing event of each."""
    reports = verify_chains(session, shop_id=shop_id)
    return {
        "whole": all(r.whole for r in reports),
        "chains": [
            {
                "chain": r.chain,
                "events": r.events,
                "whole": r.whole,
                "broken_event_id": r.broken_event_id,
                "broken_seq": r.broken_seq,
                "problem": r.problem,
            }
            for r in reports
        ],
    }


@router.get("/audit", tags=["audit"], name="audit.list")
def list_audit_events(
    actor: CanReadAudit, session: SessionDep, paging: PagingDep, filters: Annotated[AuditFilter, Query()]
) -> Page[AuditEventRead]:
    """Read the append-only audit log, newest first, by action, subject or actor."""
    events, total = service.list_audit_events(session, filters, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[AuditEventRead.model_validate(e) for e in events],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
