"""What counts as a bad outcome for an order: the one place to change when disputes land.

Until the disputes domain stores Dispute rows, a chargeback is an order tagged "chargeback".
Screening (customer metrics) and the backtest read these expressions and nothing else.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, cast, or_

from storeguard.orders.enums import CancelReason
from storeguard.orders.models import Order

CHARGEBACK_TAG = "chargeback"
RETURN_ABUSE_TAG = "return_abuse"


def _has_tag(tag: str) -> ColumnElement[bool]:
    # JSON list on SQLite, JSONB on PostgreSQL: both render as text with the tag in quotes.
    return cast(Order.tags, String).like(f'%"{tag}"%')


def chargeback_condition() -> ColumnElement[bool]:
    """Return the SQL condition true for an order that drew a chargeback."""
    return _has_tag(CHARGEBACK_TAG)


def fraud_cancellation_condition() -> ColumnElement[bool]:
    """Return the SQL condition true for an order cancelled as fraud."""
    return Order.cancel_reason == CancelReason.fraud.value


def return_abuse_condition() -> ColumnElement[bool]:
    """Return the SQL condition true for an order a person marked as return abuse."""
    return _has_tag(RETURN_ABUSE_TAG)


def bad_outcome_condition() -> ColumnElement[bool]:
    """Return the SQL condition for an order that later turned bad (chargeback, fraud, return abuse)."""
    # Most orders have no tags: their text is "[]" on both backends, which no tag test can match,
    # and one comparison spares them two LIKEs (a backtest reads every order of a range).
    tagged = cast(Order.tags, String) != "[]"
    return or_(
        fraud_cancellation_condition(), and_(tagged, or_(chargeback_condition(), return_abuse_condition()))
    )
