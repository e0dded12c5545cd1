"""Loading the rows an order action changes, locked, and the helpers every action shares.

Every action that touches an order's money, quantities or states first locks the order row
(``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL, which leaves rows that only refer to the
order free to be written; SQLite serializes writers by itself). All such changes
go through that one lock, so two refunds of one order never both see the same refundable amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.core.money import to_decimal_str
from storeguard.customers.models import Customer
from storeguard.notifications.actions import send_notice
from storeguard.orders import policy
from storeguard.orders.errors import OrderError
from storeguard.orders.models import Fulfillment, Order
from storeguard.shops.models import Product
from storeguard.shops.service import get_shop


def lock_order(session: Session, order_id: int) -> Order:
    """Lock an order and load it with its lines, payments, fulfilments and refunds, fresh."""
    stmt = (
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.line_items),
            selectinload(Order.transactions),
            selectinload(Order.fulfillments).selectinload(Fulfillment.lines),
            selectinload(Order.refunds),
        )
        .with_for_update(key_share=True)
        # The session may hold an older copy (read before the lock was granted): replace it.
        .execution_options(populate_existing=True)
    )
    order = session.scalar(stmt)
    if order is None:
        raise NotFound(OrderError.order_not_found, f"no order {order_id}")
    return order


def lock_products(session: Session, product_ids: Iterable[int]) -> dict[int, Product]:
    """Lock products (in id order, so two orders never deadlock) and return them by id."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    stmt = (
        select(Product)
        .where(Product.id.in_(ids))
        .order_by(Product.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {p.id: p for p in session.scalars(stmt)}


def refuse(refusal: policy.Refusal) -> Conflict:
    """Turn a policy refusal into the error an action raises."""
    return Conflict(refusal.code, refusal.message, field=refusal.field)


def require_email(order: Order, notify_customer: bool) -> None:
    """Refuse up front to promise a notice the order has no address for."""
    if notify_customer and not order.email:
        raise Invalid(
            OrderError.no_email_to_notify,
            f"order {order.number} has no email address to notify",
            field="notify_customer",
        )


def order_state(order: Order) -> dict[str, Any]:
    """Return the facts an audit event keeps as ``before`` and ``after``."""
    money = policy.ledger(order)
    return {
        "status": str(order.status),
        "financial_status": str(order.financial_status),
        "fulfillment_status": str(order.fulfillment_status),
        "captured": money.captured,
        "refunded": money.refunded,
        "fees": money.fees,
        "net": money.net,
    }


def refresh_statuses(order: Order) -> None:
    """Store the payment and shipping states derived from the order's rows."""
    order.financial_status = policy.financial_status(order)
    order.fulfillment_status = policy.fulfillment_status(order)


def queue_customer_mail(
    session: Session, order: Order, *, template: str, context: dict[str, Any], dedupe_key: str
) -> None:
    """Queue a notice to the order's customer in their language; it is sent after the commit, or never."""
    customer = session.get(Customer, order.customer_id) if order.customer_id is not None else None
    send_notice(
        session,
        kind=template,
        customer=customer,
        shop=get_shop(session, order.shop_id),
        to=order.email,
        context={"order_number": order.number, **context},
        dedupe_key=dedupe_key,
        links={"order_id": order.id, "order_number": order.number},
    )


def refund_words(facts: dict[str, Any] | None) -> dict[str, str]:
    """Return a refund as a notice says it: the amount with its currency and the arrival window."""
    if facts is None:
        return {"refund_amount": "", "arrival_from": "", "arrival_to": ""}
    return {
        "refund_amount": f"{to_decimal_str(facts['amount'], facts['currency'])} {facts['currency']}",
        "arrival_from": facts["expected_arrival_from"],
        "arrival_to": facts["expected_arrival_to"],
    }
