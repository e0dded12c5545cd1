"""Bulk inserts at driver speed: COPY on PostgreSQL, executemany of tuples on SQLite.

SQLAlchemy's per-row parameter handling costs more than the database does at import volumes,
so rows are converted with each column type's own bind processor (the same conversion the ORM
would apply) and handed to the driver in one go. Callers read generated ids back by platform id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def _processors(session: Session, table: Table, columns: Sequence[str]) -> list[Any]:
    dialect = session.get_bind().dialect
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def _defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """Column defaults for columns a row may leave out (scalar or zero-argument callables)."""
    out: dict[str, Any] = {}
    for name in columns:
        default = table.c[name].default
        if default is None:
            out[name] = None
        elif default.is_scalar:  # type: ignore[attr-defined]
            out[name] = default.arg  # type: ignore[attr-defined]
        else:
            out[name] = default  # called per row below
    return out


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts keyed by column name) in one driver call."""
    if not rows:
        return
    columns = [c.name for c in table.columns if c.name in rows[0] or not c.primary_key]
    processors = _processors(session, table, columns)
    defaults = _defaults(table, columns)
    plan = [(name, proc, defaults[name]) for name, proc in zip(columns, processors, strict=True)]
    missing = object()
    tuples = []
    append = tuples.append
    for row in rows:
        values = []
        for name, proc, default in plan:
            value = row.get(name, missing)
            if value is missing:
                value = (
                    default.arg(None)
                    if default is not None
                    and not isinstance(default, (str, int, bool))
                    and hasattr(default, "arg")
                    else default
                )
            values.append(value if proc is None or value is None else proc(value))
        append(values)
    raw = session.connection().connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:  # type: ignore[union-attr]
            for values in tuples:
                copy.write_row(values)
    else:
        marks = ", ".join("?" for _ in columns)
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', tuples)
        finally:
            cur.close()
