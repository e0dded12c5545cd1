"""Reading one page of a list: by offset with a count of all rows, or by key without one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")


def fetch_page(
    session: Session, stmt: Select[tuple[T]], *order_by: Any, limit: int, offset: int
) -> tuple[list[T], int]:
    """Return the rows of ``stmt`` on one page, in ``order_by`` order, and the count of all of them."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[T]):
    """One page of a list read by key, newest first: its rows and whether there are more either side."""

    rows: list[T]
    more_after: bool  # older rows follow the last one
    more_before: bool  # newer rows precede the first one


def fetch_keyset(
    session: Session,
    stmt: Select[tuple[T]],
    keys: tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]],
    *,
    limit: int,
    after: tuple[Any, Any] | None = None,
    before: tuple[Any, Any] | None = None,
) -> KeysetPage[T]:
    """Return a page of ``stmt`` in descending ``keys`` order, after or before a row's key values.

    Nothing is counted: a page costs the same on the first page of a million rows as on the last.
    ``keys`` are a sort column and a unique tie-breaker (``created_at``, ``id``).
    """
    first, second = keys
    if before is not None:
        newer = or_(first > before[0], and_(first == before[0], second > before[1]))
        rows = list(session.scalars(stmt.where(newer).order_by(first.asc(), second.asc()).limit(limit + 1)))
        more = len(rows) > limit
        return KeysetPage(rows=list(reversed(rows[:limit])), more_after=True, more_before=more)
    if after is not None:
        stmt = stmt.where(or_(first < after[0], and_(first == after[0], second < after[1])))
    rows = list(session.scalars(stmt.order_by(first.desc(), second.desc()).limit(limit + 1)))
    return KeysetPage(rows=rows[:limit], more_after=len(rows) > limit, more_before=after is not None)
