"""Keeping every customer's stored risk current as their history changes.

A write that changes what a customer's assessment rests on (an order created, imported or
cancelled; a refund, return, fulfillment, payment or dispute and its outcome; a block; a link
between customers) marks the customers it touches as stale in its own transaction: one upsert
into ``risk_stale_customers`` per transaction and customer, made by the session listener below
after the write's flush, so no action has to remember it. The background work then reassesses
the marked customers in batches (``refresh_stale``), and pages read the value last stored.

Bulk loads that bypass the ORM (``storeguard import shopify``, the demo loader) are followed by a
full recompute instead.

What moves by itself without a write to the customer is the shop's baseline (its median order and
return rate, read at most ``service.BASELINE_TTL`` ago); ``storeguard risk recompute`` brings
every customer onto the newest one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, inspect, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from storeguard.customers.models import Customer, Identifier
from storeguard.disputes.models import Dispute
from storeguard.lists.models import CustomerBlock
from storeguard.orders.models import Fulfillment, LineItem, Order, Refund, RefundLine, Transaction
from storeguard.risk.actions import store_assessments
from storeguard.risk.models import StaleRisk
from storeguard.risk.policy import assess
from storeguard.risk.service import WEAK_LINK_TYPES, read_behaviours

BATCH = 500
# An order's changes that its customer's assessment reads; others (held, notes) leave it as it is.
_ORDER_FIELDS = ("customer_id", "status", "tags", "total", "cancelled_at")
# Rows hanging off an order: any change to one changes the order's customer's record.
_ORDER_PARTS = (Refund, Dispute, Fulfillment, Transaction, LineItem)
# Of those, the ones an order's place in its customer's history counts (see ``histories``).
_HISTORY_PARTS = (Refund, Dispute, LineItem)
_MARKED = "risk_marked"  # session.info: (customers, orders) already marked in this transaction


@dataclass(slots=True)
class Touched:
    """What one flush changed that customers' records rest on."""

    customers: dict[int, int]  # customer -> shop, known from the flushed objects themselves
    orders: set[int]  # orders not in the session: their customers are read in the upsert
    clusters: set[int]
    blocked: set[int]
    # Customers whose order history changed (orders, their lines, refunds and disputes; not
    # deliveries or payments), and orders not in the session whose customers that says of.
    histories: set[int] = field(default_factory=set)
    history_orders: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.customers or self.orders or self.clusters or self.blocked)


# What else keeps something of a customer's order history current (screening's profiles) hooks in
# here instead of listening on its own: the flush is read once, and each runs after the marks, so
# two writers of one customer's history already wait on each other's mark (see ``mark_stale``).
after_history_written: list[Callable[[Session, Touched], None]] = []


def _changed(obj: Any, fields: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def touched(session: Session) -> Touched:
    """What this flush changed that customers' assessments rest on (read in ``after_flush``)."""
    t = Touched({}, set(), set(), set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Order):
            new = obj in session.new or obj in session.deleted
            if new or _changed(obj, _ORDER_FIELDS):
                for cid in inspect(obj).attrs.customer_id.history.sum():
                    if cid is not None:
                        t.customers[cid] = obj.shop_id
                        t.histories.add(cid)
        elif isinstance(obj, _ORDER_PARTS):
            # Every order the row hung off, before and after this flush (a dispute moved to
            # another order changes both orders' customers).
            for order_id in inspect(obj).attrs.order_id.history.sum() or (obj.order_id,):
                if order_id is not None:
                    _order_touched(session, t, order_id, history=isinstance(obj, _HISTORY_PARTS))
        elif isinstance(obj, RefundLine):
            # Written with its refund as a rule (which counts above); on its own, found through it.
            refund = session.identity_map.get(session.identity_key(Refund, obj.refund_id))
            order_id = (
                refund.order_id
                if refund is not None and "order_id" not in inspect(refund).expired_attributes
                else session.connection().scalar(select(Refund.order_id).where(Refund.id == obj.refund_id))
            )
            if order_id is not None:
                _order_touched(session, t, order_id, history=True)
        elif isinstance(obj, CustomerBlock):
            t.blocked.add(obj.customer_id)
            t.customers[obj.customer_id] = obj.shop_id
        elif isinstance(obj, Customer) and obj in session.dirty:
            history = inspect(obj).attrs.cluster_id.history
            if history.has_changes():
                t.customers[obj.id] = obj.shop_id
                t.clusters.update(c for c in history.sum() if c is not None)
    return t


def _order_touched(session: Session, t: Touched, order_id: int, *, history: bool) -> None:
    # The order is nearly always in the session already (placed, refunded, fulfilled through
    # it): its customer is known without a read.
    order = session.identity_map.get(session.identity_key(Order, order_id))
    if order is None or inspect(order).expired_attributes & {"customer_id", "shop_id"}:
        t.orders.add(order_id)
        if history:
            t.history_orders.add(order_id)
    elif order.customer_id is not None:
        t.customers[order.customer_id] = order.shop_id
        if history:
            t.histories.add(order.customer_id)


def mark_stale(session: Session, t: Touched) -> None:
    """Mark the customers behind ``t`` stale in one upsert: themselves, their orders' customers,
    the members of changed clusters, and everyone linked to a newly blocked customer.

    Marks are made in key order, as the background pass takes them away: two transactions never
    wait on each other's marks in opposite orders (a deadlock on PostgreSQL).
    """
    done_customers, done_orders = session.info.setdefault(_MARKED, (set(), set()))
    customers = {cid: shop for cid, shop in t.customers.items() if cid not in done_customers}
    orders = t.orders - done_orders
    if not (customers or orders or t.clusters or t.blocked):
        return
    table = StaleRisk.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    if not (orders or t.clusters or t.blocked):
        # An order write: the customers are known, so the upsert is of plain values.
        stmt = insert(table).values(
            [{"customer_id": cid, "shop_id": customers[cid]} for cid in sorted(customers)]
        )
    else:
        stmt = insert(table).from_select(["customer_id", "shop_id"], _whom(customers, orders, t))
    stmt = stmt.on_conflict_do_update(index_elements=["customer_id"], set_={"changes": table.c.changes + 1})
    session.connection().execute(stmt)
    done_customers.update(customers)
    done_orders.update(orders)


def _whom(customers: dict[int, int], orders: set[int], t: Touched) -> Any:
    """The customers a write reaches beyond the ones it names, each once, in key order."""
    parts: list[Any] = []
    if customers:
        parts.append(select(Customer.id, Customer.shop_id).where(Customer.id.in_(sorted(customers))))
    if orders:
        parts.append(
            select(Order.customer_id, Order.shop_id).where(
                Order.id.in_(sorted(orders)), Order.customer_id.is_not(None)
            )
        )
    if t.clusters:
        parts.append(select(Customer.id, Customer.shop_id).where(Customer.cluster_id.in_(sorted(t.clusters))))
    if t.blocked:
        blocked = aliased(Customer)
        parts.append(
            select(Customer.id, Customer.shop_id).where(
                Customer.cluster_id.in_(
                    select(blocked.cluster_id).where(
                        blocked.id.in_(sorted(t.blocked)), blocked.cluster_id.is_not(None)
                    )
                )
            )
        )
        theirs, mine = aliased(Identifier), aliased(Identifier)
        parts.append(
            select(mine.customer_id, mine.shop_id)
            .join(
                theirs,
                and_(theirs.shop_id == mine.shop_id, theirs.type == mine.type, theirs.value == mine.value),
            )
            .where(theirs.customer_id.in_(sorted(t.blocked)), theirs.type.in_(WEAK_LINK_TYPES))
        )
    both = union(*parts).subquery() if len(parts) > 1 else parts[0].distinct().subquery()
    first, second = both.c
    # union drops repeats; a WHERE for SQLite, whose upsert needs one after a SELECT.
    return select(first, second).where(first.is_not(None)).order_by(first)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    t = touched(session)
    if t:
        mark_stale(session, t)
        for keep in after_history_written:
            keep(session, t)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_marks(session: Session, *_: Any) -> None:
    # A new transaction marks again; after a rollback the marks made were rolled back with it.
    session.info.pop(_MARKED, None)


def stale_count(session: Session, shop_id: int | None = None) -> int:
    """How many customers wait to be reassessed (in the shop, or in all)."""
    stmt = select(StaleRisk.customer_id)
    if shop_id is not None:
        stmt = stmt.where(StaleRisk.shop_id == shop_id)
    return len(session.scalars(stmt).all())


def refresh_stale(session: Session, *, limit: int = BATCH) -> int:
    """Reassess up to ``limit`` marked customers, store them, take their marks away and commit.

    A customer marked again while this ran keeps the mark (its ``changes`` moved on), so the next
    pass reassesses them with the newer write too. Returns how many were reassessed.
    """
    marks = session.execute(
        select(StaleRisk.customer_id, StaleRisk.shop_id, StaleRisk.changes)
        .order_by(StaleRisk.shop_id, StaleRisk.customer_id)
        .limit(limit)
    ).all()
    if not marks:
        session.rollback()
        return 0
    by_shop: dict[int, list[int]] = {}
    for cid, shop_id, _ in marks:
        by_shop.setdefault(shop_id, []).append(cid)
    for shop_id, ids in by_shop.items():
        behaviours = read_behaviours(session, shop_id, customer_ids=ids)
        store_assessments(session, shop_id, [assess(b) for b in behaviours.values()])
    table = StaleRisk.__table__
    session.connection().execute(
        delete(table).where(table.c.customer_id == bindparam("b_id"), table.c.changes == bindparam("b_n")),
        [{"b_id": cid, "b_n": changes} for cid, _, changes in sorted(marks)],
    )
    session.commit()
    return len(marks)


def refresh_all_stale(session: Session, *, limit: int = BATCH) -> int:
    """Reassess every marked customer, a batch per commit (tests, and a worker catching up)."""
    total = 0
    while done := refresh_stale(session, limit=limit):
        total += done
    return total
