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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from storeguard.analytics.service import CAPTURES, ENDED_LOST, nothing_came_back, reason_in
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute
from storeguard.orders.enums import TransactionStatus
from storeguard.orders.models import Order, Refund, Transaction
from storeguard.returns.enums import ReturnStatus
from storeguard.returns.models import Return
from storeguard.shops.models import Shop

CHARGEBACKS = [s for s in DisputeStatus if not s.value.startswith("warning_")]


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
        return (
            self.fees_not_returned
            + self.chargebacks
            + self.dispute_fees
            + self.return_shipping
            + self.goods_not_returned
            - self.restocking_fees_kept
        )

    def add(self, other: Ledger) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "true_loss": self.true_loss}


def order_ledgers(session: Session, shop: Shop, *where: ColumnElement[bool]) -> dict[int, Ledger]:
    """The ledger of every order ``where`` picks (orders with no money moved are left out)."""
    orders = select(Order.id).where(*where)
    dispute_fee = int((shop.settings or {}).get("dispute_fee", 0))
    label_cost = int((shop.settings or {}).get("return_label_cost", 0))
    ledgers: dict[int, Ledger] = defaultdict(Ledger)
    captured = session.execute(
        select(Transaction.order_id, func.sum(Transaction.amount), func.sum(Transaction.fee))
        .where(
            Transaction.order_id.in_(orders),
            Transaction.kind.in_(CAPTURES),
            Transaction.status == TransactionStatus.success,
        )
        .group_by(Transaction.order_id)
    ).all()
    fees: dict[int, int] = {}
    for order_id, amount, fee in captured:
        ledgers[order_id].captured = int(amount or 0)
        fees[order_id] = int(fee or 0)
    money_back: dict[int, bool] = {}
    for order_id, amount, lost in session.execute(
        select(
            Refund.order_id,
            func.sum(Refund.amount),
            func.sum(case((nothing_came_back(), Refund.amount), else_=0)),
        )
        .where(Refund.order_id.in_(orders))
        .group_by(Refund.order_id)
    ):
        ledgers[order_id].refunded = int(amount or 0)
        ledgers[order_id].goods_not_returned = int(lost or 0)
    for (order_id,) in session.execute(
        select(Refund.order_id).where(Refund.order_id.in_(orders), ~reason_in("cancel")).distinct()
    ):
        money_back[order_id] = True
    for order_id, lost, count in session.execute(
        select(
            Dispute.order_id,
            func.sum(case((Dispute.status.in_(ENDED_LOST), Dispute.amount), else_=0)),
            func.count(),
        )
        .where(Dispute.order_id.in_(orders), Dispute.status.in_(CHARGEBACKS))
        .group_by(Dispute.order_id)
    ):
        ledgers[order_id].chargebacks = int(lost or 0)
        ledgers[order_id].dispute_fees = dispute_fee * int(count)
        if lost:  # a won chargeback leaves the sale standing, and its fee a cost of the sale
            money_back[order_id] = True
    for order_id, kept, count in session.execute(
        select(Return.order_id, func.sum(Return.fee), func.count())
        .where(
            Return.order_id.in_(orders), Return.status.not_in([ReturnStatus.declined, ReturnStatus.requested])
        )
        .group_by(Return.order_id)
    ):
        ledgers[order_id].restocking_fees_kept = int(kept or 0)
        ledgers[order_id].return_shipping = label_cost * int(count)
    for order_id in money_back:
        ledgers[order_id].fees_not_returned = fees.get(order_id, 0)
    return dict(ledgers)


def total(ledgers: dict[int, Ledger]) -> Ledger:
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
        order_ledgers(
            session, shop, Order.shop_id == shop.id, Order.created_at >= since, Order.created_at < until
        )
    )


def ledger_fields() -> list[str]:
    return [f.name for f in fields(Ledger)]
