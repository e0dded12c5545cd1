"""What the returns desk adds to the true-loss ledger: restocking fees kept and returns accepted.

Risk owns the ledger and returns depend on risk, so the returns domain registers this reader with
it (``storeguard.models`` imports this module with the tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from storeguard.returns.enums import ReturnStatus
from storeguard.returns.models import Return
from storeguard.risk.ledger import read_returns_with

# A return the shop never agreed to take back cost it no label and kept it no fee.
NOT_ACCEPTED = (ReturnStatus.declined, ReturnStatus.requested)


def returns_by_order(session: Session, orders: Subquery) -> Iterable[tuple[Any, int, int]]:
    """Per key of ``orders`` (order_id, key): the restocking fees kept and the returns accepted."""
    rows = session.execute(
        select(orders.c.key, func.sum(Return.fee), func.count())
        .join(orders, orders.c.order_id == Return.order_id)
        .where(Return.status.not_in(NOT_ACCEPTED))
        .group_by(orders.c.key)
    )
    return [(key, int(kept or 0), int(count)) for key, kept, count in rows]


read_returns_with(returns_by_order)
