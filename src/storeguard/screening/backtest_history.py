"""The customer's recorded history for a whole backtest at once: refunds, returns, chargebacks, accounts.

Screening reads one customer's history with one aggregate query (``metrics_select``); a backtest
of a million orders cannot ask a million times. Here each kind of event is read once for the whole
shop, in a set-based query per kind, and kept per customer; an order's history is then what its
customer's events say as of the order's time, the rule ``metrics_select`` writes in SQL: only
earlier orders in (time, id) order count, and a refund, return or dispute only once recorded before
the order. Events are few next to orders (most customers have none), so an order costs a dict look-up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from storeguard.core.prepared import stream_once
from storeguard.customers.models import Customer
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order, Refund, RefundLine
from storeguard.screening.outcomes import chargeback_orders
from storeguard.screening.policy import CustomerMetrics

# The facts read from the events: refunds, returns, chargebacks (what an order's history recorded).
RECORDED_FACTS = frozenset(
    {"customer.refunds_count", "customer.refund_ratio", "customer.return_ratio", "customer.chargebacks"}
)
# The facts read from the customer's account, as it is now (as screening reads it).
ACCOUNT_FACTS = frozenset(
    {"customer.account_age_days", "customer.is_disabled", "customer.platform_account_state"}
)

_Key = tuple[datetime, int]  # an order's place in time: (created at, id)


def raw_time(column: ColumnElement[datetime]) -> ColumnElement[datetime]:
    """A timestamp read as the driver gives it: SQLAlchemy's conversion cost more than the rest of a row."""
    return type_coerce(column, NullType())


def naive_utc(value: str | datetime) -> datetime:
    """Turn a timestamp ``raw_time`` read (SQLite's UTC text, a driver's datetime) into naive UTC.

    Naive, so every comparison and difference here skips the time zone arithmetic; all are UTC.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    zone = value.tzinfo
    if zone is not None:
        # PostgreSQL's driver gives every time in the session's zone, UTC: dropping it is the conversion.
        if zone is UTC or getattr(zone, "key", None) in _UTC_KEYS:
            return value.replace(tzinfo=None)
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


_UTC_KEYS = frozenset({"UTC", "Etc/UTC"})  # zoneinfo's names for UTC, always 0 hours from it


@dataclass(slots=True)
class RecordedHistory:
    """Each customer's events, each with the place of its order and the time it was recorded (naive UTC)."""

    refunds: dict[int, list[tuple[_Key, datetime, int]]] = field(default_factory=dict)  # amount
    returns: dict[int, list[tuple[_Key, datetime, int]]] = field(default_factory=dict)  # units back
    bought: dict[int, list[tuple[_Key, int]]] = field(default_factory=dict)  # units bought
    chargebacks: dict[int, list[tuple[_Key, datetime | None]]] = field(default_factory=dict)

    def customers(self) -> frozenset[int]:
        """The customers with any event: every other customer's recorded history is all zeros."""
        return frozenset(self.refunds) | frozenset(self.returns) | frozenset(self.chargebacks)

    def metrics(self, cid: int, at: datetime, order_id: int, metrics: CustomerMetrics) -> CustomerMetrics:
        """Fill in what the customer's events say as of the order at (``at``, naive UTC; ``order_id``)."""
        key = (at, order_id)
        refunds = self.refunds.get(cid)
        if refunds:
            for place, recorded, amount in refunds:
                if place < key and recorded < at:
                    metrics.refunds_count += 1
                    metrics.refunded_amount += amount
        returns = self.returns.get(cid)
        if returns:
            for place, recorded, units in returns:
                if place < key and recorded < at:
                    metrics.items_returned += units
            # Units bought matter only for a customer who returned something (the ratio is 0 otherwise).
            metrics.items_bought = sum(units for place, units in self.bought.get(cid, ()) if place < key)
        chargebacks = self.chargebacks.get(cid)
        if chargebacks:
            metrics.chargebacks = sum(
                1 for place, since in chargebacks if place < key and (since is None or since < at)
            )
        return metrics


def in_share(customer_id: ColumnElement[int], share: tuple[int, int]) -> ColumnElement[bool]:
    """The customers of the j-th of n shares of a split backtest: those whose id is j modulo n."""
    j, n = share
    return customer_id % n == j


def recorded_history(
    session: Session, shop_id: int, used: set[str], share: tuple[int, int] | None = None
) -> RecordedHistory:
    """Read the events the facts in ``used`` need, for every customer of the shop, in a few queries.

    ``share`` (j, n) reads only the customers of that share (``in_share``): a backtest split over
    processes reads, in each, only its own customers' events.
    """
    o = Order
    out = RecordedHistory()
    mine = (o.shop_id == shop_id, o.customer_id.is_not(None))
    if share is not None:
        mine = (*mine, in_share(o.customer_id, share))
    live = (*mine, o.status != OrderStatus.cancelled.value)
    placed = raw_time(o.created_at)
    if used & {"customer.refunds_count", "customer.refund_ratio"}:
        stmt = select(o.customer_id, placed, o.id, raw_time(Refund.created_at), Refund.amount).join(
            o, o.id == Refund.order_id
        )
        for cid, at, oid, recorded, amount in stream_once(session, stmt.where(*live)):
            out.refunds.setdefault(cid, []).append(((naive_utc(at), oid), naive_utc(recorded), amount))
    if "customer.return_ratio" in used:
        stmt = (
            select(o.customer_id, placed, o.id, raw_time(Refund.created_at), RefundLine.quantity)
            .select_from(RefundLine)
            .join(Refund, Refund.id == RefundLine.refund_id)
            .join(o, o.id == Refund.order_id)
            .where(*live, RefundLine.returned.is_(True))
        )
        for cid, at, oid, recorded, units in stream_once(session, stmt):
            out.returns.setdefault(cid, []).append(((naive_utc(at), oid), naive_utc(recorded), units))
        if out.returns:
            bought = (
                select(o.customer_id, placed, o.id, func.sum(LineItem.quantity))
                .join(o, o.id == LineItem.order_id)
                .where(*live, o.customer_id.in_(list(out.returns)))
                .group_by(o.customer_id, o.created_at, o.id)
            )
            for cid, at, oid, units in session.execute(bought):
                out.bought.setdefault(cid, []).append(((naive_utc(at), oid), int(units or 0)))
    if "customer.chargebacks" in used:
        since_of: dict[int, dict[_Key, datetime | None]] = defaultdict(dict)
        tagged, disputed = chargeback_orders(*mine)
        for cid, at, oid, _ in session.execute(tagged):
            since_of[cid][(naive_utc(at), oid)] = None  # a tag counts from its order on
        for cid, at, oid, opened in session.execute(disputed):
            since_of[cid].setdefault((naive_utc(at), oid), naive_utc(opened))
        out.chargebacks = {cid: list(orders.items()) for cid, orders in since_of.items()}
    return out


def accounts(
    session: Session, shop_id: int, share: tuple[int, int] | None = None
) -> dict[int, tuple[datetime | None, bool, str | None]]:
    """Return each customer of the shop's account as ``build_facts`` reads it.

    Created at (naive UTC: the age in days is the order's time less it), disabled by storeguard,
    and the platform's state. ``share`` (j, n) reads only that share's customers (``in_share``).
    """
    c = Customer
    stmt = select(c.id, raw_time(c.created_at), c.state, c.platform_account_state).where(c.shop_id == shop_id)
    if share is not None:
        stmt = stmt.where(in_share(c.id, share))
    return {
        cid: (
            naive_utc(created) if created else None,
            state is not None and str(state) == "disabled",
            platform,
        )
        for cid, created, state, platform in stream_once(session, stmt)
    }
