"""A customer's history before an order, in one aggregate query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order, Refund
from storeguard.screening.outcomes import chargeback_condition
from storeguard.screening.policy import CustomerMetrics


def metrics_columns(customer_id: int, *, exclude_order_id: int | None = None) -> list[Any]:
    """Return the eight history aggregates as scalar subqueries, to put in one SELECT."""
    mine = [Order.customer_id == customer_id]
    if exclude_order_id is not None:
        mine.append(Order.id != exclude_order_id)
    live = and_(*mine, Order.status != OrderStatus.cancelled.value)
    orders_q = select(
        func.count(Order.id),
        func.coalesce(func.sum(case((Order.status != OrderStatus.cancelled.value, Order.total), else_=0)), 0),
        func.coalesce(func.sum(case((Order.status == OrderStatus.cancelled.value, 1), else_=0)), 0),
        func.coalesce(func.sum(case((chargeback_condition(), 1), else_=0)), 0),
    ).where(*mine)
    refunds_q = (
        select(func.count(Refund.id), func.coalesce(func.sum(Refund.amount), 0))
        .join(Order, Order.id == Refund.order_id)
        .where(live)
    )
    items_q = (
        select(
            func.coalesce(func.sum(LineItem.quantity), 0),
            func.coalesce(func.sum(LineItem.restocked_quantity), 0),
        )
        .join(Order, Order.id == LineItem.order_id)
        .where(live)
    )
    return [
        *(orders_q.with_only_columns(c).scalar_subquery() for c in orders_q.selected_columns),
        *(refunds_q.with_only_columns(c).scalar_subquery() for c in refunds_q.selected_columns),
        *(items_q.with_only_columns(c).scalar_subquery() for c in items_q.selected_columns),
    ]


def metrics_from_row(values: Any) -> CustomerMetrics:
    """Build the metrics from the eight values ``metrics_columns`` selects."""
    orders, spent, cancelled, chargebacks, refunds, refunded, bought, returned = (int(v or 0) for v in values)
    return CustomerMetrics(
        orders_count=orders,
        total_spent=spent,
        refunds_count=refunds,
        refunded_amount=refunded,
        items_bought=bought,
        items_returned=returned,
        cancellations=cancelled,
        chargebacks=chargebacks,
    )


def customer_metrics(
    session: Session, customer_id: int | None, *, exclude_order_id: int | None = None
) -> CustomerMetrics:
    """Return the customer's orders, spend, refunds, returns, cancellations and chargebacks so far.

    Cancelled orders count as cancellations, not as spend, so a cancel-with-refund does not
    inflate the refund ratio. Returns are items refunded with restock.
    """
    if customer_id is None:
        return CustomerMetrics()
    row = session.execute(select(*metrics_columns(customer_id, exclude_order_id=exclude_order_id))).one()
    return metrics_from_row(row)
