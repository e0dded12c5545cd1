"""A customer's history before an order, in one aggregate query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Select, and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session

from storeguard.core.db import UTCDateTime
from storeguard.core.prepared import Prepared
from storeguard.customers.models import Customer
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order, Refund, RefundLine
from storeguard.screening.outcomes import chargeback_condition
from storeguard.screening.policy import CustomerMetrics


def metrics_select(
    customer_id: Any, *, exclude_order_id: Any = None, placed_before: tuple[Any, Any] | None = None
) -> Select[Any]:
    """Return the eight history aggregates as one row: one pass each over orders, refunds and lines.

    The ids are values or bind parameters (the screening hot path compiles the statement once).
    One-row derived tables joined on true read each table once, where eight scalar subqueries
    read the customer's orders eight times.

    ``placed_before`` (an order's time and id) gives the history as it stood when that order was
    placed (the backtest's): only orders before it in (time, id) order, the order the backtest's
    columnar path counts in, and only refunds, returns and disputes recorded before that time.
    An earlier order's tags are as they are now (they carry no time), and so is its status
    (cancelled or not), as the columnar path counts spend.
    """
    mine = [Order.customer_id == customer_id]
    if exclude_order_id is not None:
        mine.append(Order.id != exclude_order_id)
    at = None
    recorded: list[Any] = []  # refunds (and the returns they made) before the order's time
    if placed_before is not None:
        at, order_id = placed_before
        mine.append(or_(Order.created_at < at, and_(Order.created_at == at, Order.id < order_id)))
        recorded.append(Refund.created_at < at)
    parts = _parts(mine, recorded, at)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    return select(*(c for part in parts for c in part.c)).select_from(joined)


def _parts(mine: list[Any], recorded: list[Any], at: Any, *, by_customer: bool = False) -> list[Any]:
    """The four one-pass aggregates (orders, refunds, lines, returned lines) over the orders ``mine`` picks.

    ``by_customer`` groups each by the order's customer (many customers at once, ``metrics_by_customer``)
    with the very same expressions, so a profile rebuilt in bulk counts as screening's own read does.
    """
    live = and_(*mine, Order.status != OrderStatus.cancelled.value)
    key = [Order.customer_id.label("customer_id")] if by_customer else []

    def grouped(stmt: Select[Any]) -> Select[Any]:
        return stmt.group_by(Order.customer_id) if by_customer else stmt

    orders_q = grouped(
        select(
            *key,
            func.count(Order.id).label("orders"),
            func.coalesce(
                func.sum(case((Order.status != OrderStatus.cancelled.value, Order.total), else_=0)), 0
            ).label("spent"),
            func.coalesce(func.sum(case((Order.status == OrderStatus.cancelled.value, 1), else_=0)), 0).label(
                "cancelled"
            ),
            func.coalesce(func.sum(case((chargeback_condition(at), 1), else_=0)), 0).label("chargebacks"),
        ).where(*mine)
    ).subquery("m_orders")
    refunds_q = grouped(
        select(
            *key,
            func.count(Refund.id).label("refunds"),
            func.coalesce(func.sum(Refund.amount), 0).label("refunded"),
        )
        .join(Order, Order.id == Refund.order_id)
        .where(live, *recorded)
    ).subquery("m_refunds")
    bought_q = grouped(
        select(*key, func.coalesce(func.sum(LineItem.quantity), 0).label("bought"))
        .join(Order, Order.id == LineItem.order_id)
        .where(live)
    ).subquery("m_items")
    # Returned items are the units refund lines say came back (Shopify's restock_type ``return``,
    # a return's refund), dated by their refund; a restock alone (a cancel's) is not a return, and
    # a refund without return counts only as money refunded.
    returned_q = grouped(
        select(*key, func.coalesce(func.sum(RefundLine.quantity), 0).label("returned"))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(Order, Order.id == Refund.order_id)
        .where(live, RefundLine.returned.is_(True), *recorded)
    ).subquery("m_returns")
    return [orders_q, refunds_q, bought_q, returned_q]


def metrics_by_customer(customers: Any) -> Select[Any]:
    """Return (customer id, the eight aggregates) for every customer ``customers`` selects (ids).

    The same expressions as ``metrics_select``, grouped by customer: one pass over the orders of
    all of them, for a bulk load or a rebuild. A customer without orders gets zeros.
    """
    wanted = select(Customer.id.label("customer_id")).where(Customer.id.in_(customers)).subquery("m_who")
    parts = _parts([Order.customer_id.in_(customers)], [], None, by_customer=True)
    joined: Any = wanted
    for part in parts:
        joined = joined.outerjoin(part, part.c.customer_id == wanted.c.customer_id)
    values = [func.coalesce(c, 0) for part in parts for c in part.c if c.key != "customer_id"]
    return select(wanted.c.customer_id, *values).select_from(joined)


def metrics_from_row(values: Any) -> CustomerMetrics:
    """Build the metrics from the eight values ``metrics_select`` reads."""
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


# Bound as 0 when no order is to be left out: ids start at 1, so the statement has one shape.
CUSTOMER_ID = bindparam("customer_id", type_=BigInteger)
EXCLUDE_ORDER_ID = bindparam("exclude_order_id", type_=BigInteger)
PLACED_AT = bindparam("placed_at", type_=UTCDateTime)
PLACED_ORDER_ID = bindparam("placed_order_id", type_=BigInteger)
_METRICS = Prepared(lambda: metrics_select(CUSTOMER_ID, exclude_order_id=EXCLUDE_ORDER_ID))


def customer_metrics(
    session: Session, customer_id: int | None, *, exclude_order_id: int | None = None
) -> CustomerMetrics:
    """Return the customer's orders, spend, refunds, returns, cancellations and chargebacks so far.

    Cancelled orders count as cancellations, not as spend, so a cancel-with-refund does not
    inflate the refund ratio. Returns are the units refund lines say came back.
    """
    if customer_id is None:
        return CustomerMetrics()
    row = _METRICS.one(session, {"customer_id": customer_id, "exclude_order_id": exclude_order_id or 0})
    return metrics_from_row(row)
