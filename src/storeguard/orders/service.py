"""Reading orders: one order, a filtered page of them, an order's timeline, the audit log."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.audit import events_for
from storeguard.core.errors import NotFound
from storeguard.core.models import AuditEvent
from storeguard.core.pages import KeysetPage, fetch_keyset, fetch_page
from storeguard.customers.models import Customer
from storeguard.orders.errors import OrderError
from storeguard.orders.models import CancellationRequest, Fulfillment, Order, Refund, Transaction
from storeguard.orders.schemas import AuditFilter, OrderFilter, TimelineEntry

OrderKey = tuple[datetime, int]


def orders_by_id(session: Session, order_ids: set[int]) -> dict[int, Order]:
    """Some orders by id, in one statement (for a page of things that name their order)."""
    if not order_ids:
        return {}
    return {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}


def get_order(session: Session, order_id: int) -> Order:
    """Return an order with everything it holds, or raise ``NotFound``."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.line_items),
            selectinload(Order.transactions),
            selectinload(Order.fulfillments).selectinload(Fulfillment.lines),
            selectinload(Order.refunds).selectinload(Refund.lines),
        )
    )
    if order is None:
        raise NotFound(OrderError.order_not_found, f"no order {order_id}")
    return order


def get_fulfillment(session: Session, fulfillment_id: int) -> Fulfillment:
    """Return a fulfilment, or raise ``NotFound``."""
    fulfillment = session.get(Fulfillment, fulfillment_id)
    if fulfillment is None:
        raise NotFound(OrderError.fulfillment_not_found, f"no fulfilment {fulfillment_id}")
    return fulfillment


def get_cancellation_request(session: Session, request_id: int) -> CancellationRequest:
    """Return a customer's cancellation request, or raise ``NotFound``."""
    request = session.get(CancellationRequest, request_id)
    if request is None:
        raise NotFound(OrderError.cancellation_request_not_found, f"no cancellation request {request_id}")
    return request


def list_orders(
    session: Session, filters: OrderFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[Order], int]:
    """Return one page of the orders that match, newest first, and how many match in all."""
    stmt = _filtered(select(Order), filters)
    return fetch_page(session, stmt, Order.created_at.desc(), Order.id.desc(), limit=limit, offset=offset)


def order_page(
    session: Session,
    filters: OrderFilter,
    *,
    limit: int = 50,
    after: OrderKey | None = None,
    before: OrderKey | None = None,
) -> KeysetPage[Order]:
    """Return the matching orders, newest first, after (older) or before (newer) an order's key.

    Nothing is counted, so a page costs the same whatever the number of orders.
    """
    stmt = _filtered(select(Order), filters)
    return fetch_keyset(session, stmt, (Order.created_at, Order.id), limit=limit, after=after, before=before)


def order_key(order: Order) -> OrderKey:
    """Return where an order sits in the newest-first order of lists."""
    return order.created_at, order.id


def _filtered(stmt: Select[tuple[Order]], f: OrderFilter) -> Select[tuple[Order]]:
    for column, value in (
        (Order.status, f.status),
        (Order.financial_status, f.financial_status),
        (Order.fulfillment_status, f.fulfillment_status),
        (Order.customer_id, f.customer_id),
        (Order.shop_id, f.shop_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.created_from is not None:
        stmt = stmt.where(Order.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Order.created_at < f.created_to)
    if f.held is not None:
        stmt = stmt.where(Order.held.is_(f.held))
    given = (f.q or "").strip()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", given):
        # A whole email address: found through its index, not by reading every order's email.
        return stmt.where(Order.email.in_({given, given.lower()}))
    if f.q and f.q.strip():
        pattern = f"%{_like_escaped(f.q.strip().lower())}%"
        named = (
            select(Customer.id)
            .where(
                Customer.id == Order.customer_id,
                func.lower(Customer.first_name + " " + Customer.last_name).like(pattern, escape="\\"),
            )
            .exists()
        )
        stmt = stmt.where(
            or_(
                func.lower(Order.number).like(pattern, escape="\\"),
                func.lower(Order.email).like(pattern, escape="\\"),
                named,
            )
        )
    return stmt


def _like_escaped(text: str) -> str:
    """Return ``text`` with LIKE's wildcards escaped, so a search for "50%" finds "50%" only."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def refunds_of(session: Session, order_id: int) -> list[Refund]:
    """Return an order's refunds, oldest first."""
    return list(get_order(session, order_id).refunds)


def timeline(session: Session, order_id: int) -> list[TimelineEntry]:
    """Return everything that happened to an order, oldest first, as its audit events tell it.

    Every order action (payments, fulfilments, refunds and cancellation requests included)
    records its event against the order, so the audit log alone is the complete story.
    """
    get_order(session, order_id)
    return [
        TimelineEntry(
            at=e.at,
            action=e.action,
            actor=e.actor,
            reason=e.reason,
            data=e.data,
            before=e.before,
            after=e.after,
        )
        for e in events_for(session, "order", order_id)
    ]


def list_audit_events(
    session: Session, filters: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEvent], int]:
    """Return one page of audit events that match, newest first, and how many match in all."""
    stmt = select(AuditEvent)
    for column, value in (
        (AuditEvent.action, filters.action),
        (AuditEvent.subject_type, filters.subject_type),
        (AuditEvent.subject_id, filters.subject_id),
        (AuditEvent.actor, filters.actor),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return fetch_page(session, stmt, AuditEvent.id.desc(), limit=limit, offset=offset)


def find_order_for_payment(
    session: Session,
    *,
    metadata: dict[str, object] | None = None,
    payment_reference: str | None = None,
    charge_reference: str | None = None,
    shop_id: int | None = None,
) -> Order | None:
    """Find the order a gateway object belongs to: metadata order id, then payment, then charge."""
    metadata = metadata or {}
    sg_id = str(metadata.get("storeguard_order_id") or "")
    if sg_id.isdigit():
        order = session.get(Order, int(sg_id))
        if order is not None:
            return order
    ref = metadata.get("order_id") or metadata.get("order_number")
    if ref:
        stmt = select(Order).where((Order.platform_id == str(ref)) | (Order.number == str(ref)))
        if shop_id is not None:
            stmt = stmt.where(Order.shop_id == shop_id)
        found = list(session.scalars(stmt.limit(2)))
        if len(found) == 1:  # an id that matches orders of two shops tells us nothing
            return found[0]
    for reference in (payment_reference, charge_reference):
        if not reference:
            continue
        order_ids = set(
            session.scalars(
                select(Transaction.order_id).where(Transaction.gateway_reference == reference).limit(2)
            )
        )
        if len(order_ids) == 1:
            return session.get(Order, order_ids.pop())
    return None


def recent_orders(session: Session, customer_id: int, limit: int = 20) -> list[Order]:
    """Return a customer's latest orders, newest first."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
