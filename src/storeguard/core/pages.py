"""Reading one page of a list and how many rows there are in all."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def fetch_page(
    session: Session, stmt: Select[tuple[T]], *order_by: Any, limit: int, offset: int
) -> tuple[list[T], int]:
    """Return the rows of ``stmt`` on one page, in ``order_by`` order, and the count of all of them."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total
