"""The true-loss ledger: what an order, a customer or a month really cost the shop.

Per order: money captured and refunded, gateway fees not returned (kept by the gateway on an order
refunded or charged back), chargebacks lost or accepted and the dispute fees, return shipping the
shop paid, restocking fees it kept, and goods refunded that never came back. The true loss is what
is gone: fees, chargebacks, dispute fees, return shipping and goods not returned, less the
restocking fees kept. A refund of goods that came back is money returned for goods returned: not a
loss.

Two costs are not in any gateway's record and are the shop's settings, in minor units:
``dispute_fee`` (what the gateway charges per chargeback) and ``return_label_cost`` (what the shop
pays for a return label, per return it accepted).

This is the one definition of loss: the customer page's "Cost to the shop" (risk's summary), the
customer's ledger, the dashboard's month and the losses report all sum these ledgers. It lives in
risk, which analytics reads; returns depend on risk (a segment sets return privileges), so the
returns domain hands the ledger its restocking fees and accepted returns through
``read_returns_with`` rather than risk importing returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_, select
from sqlalchemy.orm import Session

from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute
from storeguard.orders.enums import TransactionKind, TransactionStatus
from storeguard.orders.models import Order, Refund, RefundLine, Transaction
from storeguard.risk.policy import DEFAULT
from storeguard.shops.models import Shop

CHARGEBACKS = [s for s in DisputeStatus if not s.value.startswith("warning_")]
ENDED_LOST = (DisputeStatus.lost, DisputeStatus.accepted)
CAPTURES = (TransactionKind.sale, TransactionKind.capture)
REFUND_REASONS: dict[str, list[str]] = DEFAULT["refund_reasons"]

# (session, the orders as a subquery of (order_id, key)) -> rows of (key, restocking fees kept,
# returns accepted), summed per key.
ReturnsReader = Callable[[Session, Subquery], Iterable[tuple[Any, int, int]]]
_returns_readers: list[ReturnsReader] = []


def read_returns_with(reader: ReturnsReader) -> None:
    """Let the returns domain tell the ledger, per key, the restocking fees kept and returns accepted."""
    if reader not in _returns_readers:
        _returns_readers.append(reader)


def reason_in(*kinds: str) -> ColumnElement[bool]:
    """A refund whose reason is one of these kinds (cancel, not_received, no_return)."""
    words = [w for kind in kinds for w in REFUND_REASONS[kind]]
    return func.lower(func.coalesce(Refund.reason, "")).in_(words)


def nothing_came_back() -> ColumnElement[bool]:
    """A refund with nothing back: damaged, missing, not received, or no reason and nothing restocked."""
    back = select(RefundLine.id).where(
        RefundLine.refund_id == Refund.id, or_(RefundLine.returned.is_(True), RefundLine.restock.is_(True))
    )
    return or_(
        reason_in("not_received", "no_return"),
        and_(func.coalesce(Refund.reason, "") == "", ~back.exists()),
    )


@dataclass
class Ledger:
    """One order's (or a sum of orders') money, in the shop currency's minor units."""

    captured: int = 0
    refunded: int = 0
    fees_not_returned: int = 0
    chargebacks: int = 0
    dispute_fees: int = 0
    return_shipping: int = 0
    restocking_fees_kept: int = 0
    goods_not_returned: int = 0

    @property
    def true_loss(self) -> int:
        """What is gone for good: the one definition of a loss."""
        return (
            self.fees_not_returned
            + self.chargebacks
            + self.dispute_fees
            + self.return_shipping
            + self.goods_not_returned
            - self.restocking_fees_kept
        )

    def add(self, other: Ledger) -> None:
        """Add another ledger's figures to this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        """Every figure by name, the true loss included."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "true_loss": self.true_loss}


def ledgers_by(
    session: Session, shop: Shop, key: ColumnElement[Any], *where: ColumnElement[bool]
) -> dict[Any, Ledger]:
    """The ledgers of the orders ``where`` picks, summed per ``key`` (an expression over the order:
    its id, its customer, its month). Keys whose orders moved no money are left out.

    Every figure is summed in the database, grouped by the key: a report over a year of orders reads
    a few rows per month, not a ledger per order.
    """
    picked = select(Order.id.label("order_id"), key.label("key")).where(*where).subquery()
    dispute_fee = int((shop.settings or {}).get("dispute_fee", 0))
    label_cost = int((shop.settings or {}).get("return_label_cost", 0))
    ledgers: dict[Any, Ledger] = defaultdict(Ledger)
    # The gateway keeps its fee on a sale whose money went back: refunded (not as a cancellation)
    # or lost to a chargeback. A won chargeback leaves the sale standing, and its fee a cost of it.
    money_back = or_(
        select(Refund.id).where(Refund.order_id == Transaction.order_id, ~reason_in("cancel")).exists(),
        select(Dispute.id)
        .where(Dispute.order_id == Transaction.order_id, Dispute.status.in_(ENDED_LOST), Dispute.amount > 0)
        .exists(),
    )
    for k, amount, fees in session.execute(
        select(
            picked.c.key, func.sum(Transaction.amount), func.sum(case((money_back, Transaction.fee), else_=0))
        )
        .join(picked, picked.c.order_id == Transaction.order_id)
        .where(Transaction.kind.in_(CAPTURES), Transaction.status == TransactionStatus.success)
        .group_by(picked.c.key)
    ):
        ledgers[k].captured = int(amount or 0)
        ledgers[k].fees_not_returned = int(fees or 0)
    for k, amount, lost in session.execute(
        select(
            picked.c.key,
            func.sum(Refund.amount),
            func.sum(case((nothing_came_back(), Refund.amount), else_=0)),
        )
        .join(picked, picked.c.order_id == Refund.order_id)
        .group_by(picked.c.key)
    ):
        ledgers[k].refunded = int(amount or 0)
        ledgers[k].goods_not_returned = int(lost or 0)
    for k, lost, count in session.execute(
        select(
            picked.c.key,
            func.sum(case((Dispute.status.in_(ENDED_LOST), Dispute.amount), else_=0)),
            func.count(),
        )
        .join(picked, picked.c.order_id == Dispute.order_id)
        .where(Dispute.status.in_(CHARGEBACKS))
        .group_by(picked.c.key)
    ):
        ledgers[k].chargebacks = int(lost or 0)
        ledgers[k].dispute_fees = dispute_fee * int(count)
    if not _returns_readers:  # a ledger without the returns would understate every loss silently
        raise RuntimeError("the returns domain has not registered its reader (import storeguard.models)")
    for reader in _returns_readers:
        for k, kept, count in reader(session, picked):
            ledgers[k].restocking_fees_kept += int(kept or 0)
            ledgers[k].return_shipping += label_cost * int(count)
    return dict(ledgers)


def order_ledgers(session: Session, shop: Shop, *where: ColumnElement[bool]) -> dict[int, Ledger]:
    """The ledger of every order ``where`` picks (orders with no money moved are left out)."""
    return ledgers_by(session, shop, Order.id, *where)


def total(ledgers: dict[int, Ledger]) -> Ledger:
    """The sum of the ledgers."""
    whole = Ledger()
    for one in ledgers.values():
        whole.add(one)
    return whole


def customer_ledger(session: Session, shop: Shop, customer_id: int) -> tuple[Ledger, dict[int, Ledger]]:
    """A customer's orders' ledgers and their sum."""
    ledgers = order_ledgers(session, shop, Order.customer_id == customer_id)
    return total(ledgers), ledgers


def period_ledger(session: Session, shop: Shop, since: datetime, until: datetime) -> Ledger:
    """The sum over the shop's orders placed in [since, until)."""
    return total(
        ledgers_by(
            session,
            shop,
            Order.shop_id,
            Order.shop_id == shop.id,
            Order.created_at >= since,
            Order.created_at < until,
        )
    )


def ledger_fields() -> list[str]:
    """The ledger's figures by name, in order."""
    return [f.name for f in fields(Ledger)]
