"""Bulk inserts at driver speed: COPY on PostgreSQL, executemany of tuples on SQLite.

Every bulk write goes through here (the mirror writer for imported orders, the list import), so
each database has one encoder.

SQLAlchemy's per-row parameter handling costs more than the database does at import volumes,
so rows come as tuples in a fixed column order and only the columns whose type converts are
touched: with the column type's own bind processor, except two shortcuts that store the same
thing faster (UTC times on SQLite in SQLAlchemy's text format; JSON written by orjson, which
reads back to the same values). Callers read generated ids back by platform id.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    any_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from storeguard.core.db import UTCDateTime

_Plan = tuple[str, list[tuple[int, Callable[[Any], Any]]]]
_PLANS: dict[tuple[str, str, tuple[str, ...], frozenset[str]], _Plan] = {}


_MEMO_LIMIT = 100_000  # distinct times remembered before the memo starts again
_sqlite_times: dict[datetime, str] = {}


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given; storeguard stores aware UTC only")
    return value.astimezone(UTC)


def sqlite_time(value: datetime) -> str:
    """An aware time as SQLAlchemy stores it on SQLite ("2025-01-02 03:04:05.000000", UTC)."""
    text = _sqlite_times.get(value)
    if text is None:
        if len(_sqlite_times) >= _MEMO_LIMIT:
            _sqlite_times.clear()
        utc = _utc(value)
        iso = orjson.dumps(utc).decode()  # "2025-01-02T03:04:05[.ffffff]+00:00", quoted
        text = _sqlite_times[value] = f"{iso[1:11]} {iso[12:20]}.{utc.microsecond:06d}"
    return text


def _json_text(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """JSON text by orjson, several times faster than json.dumps; the same value reads back."""

    def convert(value: Any) -> Any:
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # what orjson does not take (non-text keys, huge ints): the usual way
            return proc(value)

    return convert


def _converter(dialect: Any, column: Any) -> Callable[[Any], Any] | None:
    proc = column.type._cached_bind_processor(dialect)
    if proc is None:
        return None
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return sqlite_time
    if isinstance(column.type, JSON):
        return _json_text(proc)
    return proc


def _plan(
    dialect: Any, table: Table, columns: tuple[str, ...], encoded: frozenset[str] = frozenset()
) -> _Plan:
    """Return the statement and the (position, processor) pairs for one table and column order."""
    key = (dialect.name, table.name, columns, encoded)
    plan = _PLANS.get(key)
    if plan is None:
        converters = []
        for i, name in enumerate(columns):
            proc = None if name in encoded else _converter(dialect, table.c[name])
            if proc is not None:
                converters.append((i, proc))
        quoted = ", ".join(f'"{c}"' for c in columns)
        if dialect.name == "postgresql":
            sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
        plan = _PLANS[key] = (sql, converters)
    return plan


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order; None is SQL NULL) in one driver call."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    sql, converters = _plan(dialect, table, tuple(columns))
    _write(session, dialect.name, sql, _convert(rows, converters) if converters else rows)


def _convert(
    rows: Sequence[Sequence[Any]], converters: list[tuple[int, Callable[[Any], Any]]]
) -> list[Sequence[Any]]:
    converted: list[Sequence[Any]] = []
    append = converted.append
    for row in rows:
        values = None  # a row with nothing to convert (all NULL there) goes as it is
        for i, proc in converters:
            value = row[i]
            if value is not None:
                if values is None:
                    values = list(row)
                values[i] = proc(value)
        append(row if values is None else values)
    return converted


def storage_value(session: Session, table: Table, column: str, value: Any) -> Any:
    """Return ``value`` as the bulk inserts store it in ``column``: convert once what every row repeats."""
    proc = _converter(session.get_bind().dialect, table.c[column])
    return value if proc is None or value is None else proc(value)


def take_ids(session: Session, table: Table, n: int) -> list[int]:
    """Take ``n`` ids from a PostgreSQL table's sequence (safe beside other writers)."""
    if n == 0:
        return []
    # One array, not n rows: reading 400,000 single-value rows back cost seconds of Python.
    ids = session.execute(
        text("SELECT array_agg(nextval(pg_get_serial_sequence(:t, 'id'))) FROM generate_series(1, :n)"),
        {"t": f'"{table.name}"', "n": n},
    ).scalar_one()
    return sorted(ids)


def last_rowid(session: Session) -> int:
    """Return the id SQLite gave the last row this connection inserted."""
    raw = session.connection().connection.driver_connection
    return int(raw.execute("SELECT last_insert_rowid()").fetchone()[0])  # type: ignore[union-attr]


def _write(session: Session, dialect_name: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    raw = session.connection().connection.driver_connection
    if dialect_name == "postgresql":
        with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            write = copy.write_row
            for values in rows:
                write(values)
    else:
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()


def insert_with_ids(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert ``rows`` like ``insert_tuples`` and return their new ids, in ``rows`` order.

    The ids are taken before the rows go in, so nothing is read back by platform id: on
    PostgreSQL from the table's sequence (safe beside other writers), on SQLite by inserting
    the first row and numbering the rest after it, which no other connection can take while
    this transaction holds SQLite's write lock.
    """
    if not rows:
        return []
    columns = ("id", *columns)
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        ids = take_ids(session, table, len(rows))
        insert_tuples(session, table, columns, [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids
    insert_tuples(session, table, columns, [(None, *rows[0])])
    first = last_rowid(session)
    ids = list(range(first, first + len(rows)))
    insert_tuples(session, table, columns, [(i, *row) for i, row in zip(ids[1:], rows[1:], strict=True)])
    return ids


def matches_any(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one bound parameter (a JSON list on SQLite, an array on PostgreSQL).

    Thousands of values cost one parameter rather than one each: no chunking under SQLite's
    parameter limit, and no per-value statement compiling.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, orjson.dumps(list(values)).decode())).table_valued("value")
    return column.in_(select(listed.c.value))


def insert_new_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str],
    where: str | None = None,
    encoded: Collection[str] = (),
) -> None:
    """Insert ``rows`` like ``insert_tuples``, skipping each that clashes on the unique ``unique``
    columns (a partial unique index when ``where`` is given): an import that repeats is idempotent.

    ``encoded`` names columns whose values are already in storage form (JSON text made in a worker
    process), left as they are. On PostgreSQL the batch is COPYed into a scratch table shaped like
    ``table`` and inserted from there in one statement: one statement per row is what PostgreSQL
    is slow at. The scratch table lives until the transaction ends, so a rolled-back import leaves
    nothing behind.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    names = tuple(columns)
    _, converters = _plan(dialect, table, names, frozenset(encoded))
    values = _convert(rows, converters) if converters else rows
    quoted = ", ".join(f'"{c}"' for c in names)
    conflict = f"ON CONFLICT ({', '.join(unique)}){f' WHERE {where}' if where else ''} DO NOTHING"
    raw = session.connection().connection.driver_connection
    if dialect.name != "postgresql":
        marks = ", ".join("?" for _ in names)
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks}) {conflict}', values)
        finally:
            cur.close()
        return
    scratch = f'"{table.name}_incoming"'
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
            f'SELECT 0 AS ord, {quoted} FROM "{table.name}" WITH NO DATA'
        )
        cur.execute(f"TRUNCATE {scratch}")
        with cur.copy(f"COPY {scratch} (ord, {quoted}) FROM STDIN") as copy:
            for number, row in enumerate(values):
                copy.write_row((number, *row))
        cur.execute(
            f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM {scratch} ORDER BY ord {conflict}'
        )
