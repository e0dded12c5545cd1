"""What counts as a bad outcome for an order: the one place that says so.

A chargeback is an order tagged "chargeback" or one with a dispute in a chargeback state (the
gateways' webhooks and the disputes domain write Dispute rows). Screening (customer metrics) and
the backtest read these expressions and nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from storeguard.core.db import UTCDateTime
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute
from storeguard.orders.enums import CancelReason
from storeguard.orders.models import Order

CHARGEBACK_TAG = "chargeback"
RETURN_ABUSE_TAG = "return_abuse"

# A dispute opened against an order is a chargeback in the merchant's sense whatever came of it
# (won, lost, accepted, closed): the customer went to their bank. An inquiry (the warning_ states)
# is not: the bank only asked for information, and it counts once it turns into a dispute.
CHARGEBACK_STATUSES = tuple(s.value for s in DisputeStatus if not s.value.startswith("warning_"))


def _has_tag(tag: str) -> ColumnElement[bool]:
    # JSON list on SQLite, JSONB on PostgreSQL: both render as text with the tag in quotes.
    return cast(Order.tags, String).like(f'%"{tag}"%')


def _chargeback_disputes(before: Any = None) -> Select[Any]:
    """Select the order ids of chargeback disputes (opened before ``before``, when given)."""
    # One bound constant each rather than an expanding list: a ``Prepared`` statement is compiled once.
    stmt = select(Dispute.order_id).where(Dispute.status.in_([literal(s) for s in CHARGEBACK_STATUSES]))
    if before is not None:
        # When the gateway opened it; a dispute entered without that date counts from when it was recorded.
        stmt = stmt.where(func.coalesce(Dispute.opened_at, Dispute.created_at) < before)
    return stmt


def chargeback_condition(before: Any = None) -> ColumnElement[bool]:
    """Return the SQL condition true for an order that drew a chargeback (tagged, or disputed).

    With ``before`` (a time or a bind parameter) a dispute counts only if opened before then; a tag
    carries no time. The dispute is looked up by the order's id (``ix_disputes_order_id``): meant
    for a customer's few orders, not for a scan of a shop's (``bad_orders`` is).
    """
    disputed = _chargeback_disputes(before).where(Dispute.order_id == Order.id).exists()
    return or_(_has_tag(CHARGEBACK_TAG), disputed)


def chargeback_orders(*where: ColumnElement[bool]) -> tuple[Select[Any], Select[Any]]:
    """Select the orders ``where`` picks that drew a chargeback, for a whole shop at once (the backtest).

    Two statements, both (customer id, order time, order id, since): the orders tagged chargeback
    (``since`` NULL: a tag carries no time) and the orders with chargeback disputes (``since`` the
    first one's opening), the same test ``chargeback_condition`` makes one customer at a time.
    """
    tagged = select(Order.customer_id, Order.created_at, Order.id, literal(None)).where(
        *where, cast(Order.tags, String) != "[]", _has_tag(CHARGEBACK_TAG)
    )
    opened = func.min(func.coalesce(Dispute.opened_at, Dispute.created_at), type_=UTCDateTime)
    disputed = (
        select(Order.customer_id, Order.created_at, Order.id, opened)
        .select_from(Dispute)
        .join(Order, Order.id == Dispute.order_id)
        .where(*where, Dispute.status.in_([literal(s) for s in CHARGEBACK_STATUSES]))
        .group_by(Order.customer_id, Order.created_at, Order.id)
    )
    return tagged, disputed


def fraud_cancellation_condition() -> ColumnElement[bool]:
    """Return the SQL condition true for an order cancelled as fraud."""
    return Order.cancel_reason == CancelReason.fraud.value


def return_abuse_condition() -> ColumnElement[bool]:
    """Return the SQL condition true for an order a person marked as return abuse."""
    return _has_tag(RETURN_ABUSE_TAG)


def bad_orders(*where: ColumnElement[bool]) -> CompoundSelect:
    """Select the ids of the orders ``where`` picks that later turned bad (chargeback, fraud, return abuse).

    A scan of the orders answers fraud cancellations and tags; the chargeback disputes are few and
    joined by UNION ALL, each looking its order up, where a test on every order scanned cost a
    backtest of a million orders a tenth of a second. An order both tagged and disputed comes twice.
    """
    # Most orders have no tags: their text is "[]" on both backends, which no tag test can match,
    # and one comparison spares them two LIKEs (a backtest reads every order of a range).
    tagged = cast(Order.tags, String) != "[]"
    own = or_(
        fraud_cancellation_condition(),
        and_(tagged, or_(_has_tag(CHARGEBACK_TAG), return_abuse_condition())),
    )
    disputed = _chargeback_disputes().join(Order, Order.id == Dispute.order_id).where(*where)
    return union_all(select(Order.id).where(*where, own), disputed)
