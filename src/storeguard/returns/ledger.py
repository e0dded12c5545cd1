"""What the returns desk adds to the true-loss ledger: restocking fees kept and returns accepted.

Risk owns the ledger and returns depend on risk, so the returns domain registers this reader with
it (``storeguard.models`` imports this module with the tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storeguard.returns.enums import ReturnStatus
from storeguard.returns.models import Return
from storeguard.risk.ledger import read_returns_with

# A return the shop never agreed to take back cost it no label and kept it no fee.
NOT_ACCEPTED = (ReturnStatus.declined, ReturnStatus.requested)


def returns_by_order(session: Session, orders: Select[Any]) -> Iterable[tuple[int, int, int]]:
    """Per order among ``orders``: the restocking fees kept and the number of returns accepted."""
    rows = session.execute(
        select(Return.order_id, func.sum(Return.fee), func.count())
        .where(Return.order_id.in_(orders), Return.status.not_in(NOT_ACCEPTED))
        .group_by(Return.order_id)
    )
    return [(int(order_id), int(kept or 0), int(count)) for order_id, kept, count in rows]


read_returns_with(returns_by_order)
