"""The batching every bulk import shares: work in child processes in order, and inserts that skip repeats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, select, text
from sqlalchemy.orm import Session

from storeguard.core.batches import worked_in_children
from storeguard.core.bulk_insert import insert_new_tuples
from storeguard.core.db import UTCDateTime

probe = Table(
    "bulk_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("key", String(20), nullable=False),
    Column("status", String(10), nullable=False),
    Column("payload", JSON),
    Column("at", UTCDateTime),
)
Index(
    "bulk_probe_active_key",
    probe.c.key,
    unique=True,
    sqlite_where=text("status = 'active'"),
    postgresql_where=text("status = 'active'"),
)
AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _square_all(batch: list[int]) -> list[int]:
    return [n * n for n in batch]


def _refuse_seven(batch: list[int]) -> list[int]:
    if 7 in batch:
        raise ValueError("seven is refused")
    return batch


def test_worked_batches_come_back_in_the_order_they_went_in() -> None:
    batches = [[n, n + 1] for n in range(0, 20, 2)]

    done = list(worked_in_children(batches, _square_all, workers=2))

    assert done == [(b, [n * n for n in b]) for b in batches]


def test_an_error_in_a_child_is_raised_at_its_batch() -> None:
    seen = []
    with pytest.raises(ValueError, match="seven is refused"):
        for batch, _ in worked_in_children([[1], [4], [7], [9]], _refuse_seven, workers=2):
            seen.append(batch)

    assert seen == [[1], [4]]


@pytest.fixture
def probe_table(session: Session) -> Table:
    probe.create(session.connection())
    return probe


def test_rows_that_repeat_an_active_key_are_skipped_and_the_rest_stored_in_order(
    session, probe_table
) -> None:
    columns = ("key", "status", "payload", "at")
    insert_new_tuples(
        session, probe_table, columns, [("a", "active", None, AT)], unique=("key",), where="status = 'active'"
    )

    insert_new_tuples(
        session,
        probe_table,
        columns,
        [
            ("b", "active", '{"n": 1}', AT),
            ("a", "active", None, AT),
            ("a", "lifted", None, None),
            ("c", "active", None, AT),
        ],
        unique=("key",),
        where="status = 'active'",
        encoded=("payload",),
    )

    rows = session.execute(
        select(probe.c.key, probe.c.status, probe.c.payload, probe.c.at).order_by(probe.c.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("a", "active", None, AT),
        ("b", "active", {"n": 1}, AT),
        ("a", "lifted", None, None),
        ("c", "active", None, AT),
    ]


def test_values_not_marked_encoded_are_converted_as_the_column_type_stores_them(session, probe_table) -> None:
    insert_new_tuples(
        session,
        probe_table,
        ("key", "status", "payload", "at"),
        [("d", "active", {"x": [1, 2]}, AT)],
        unique=("key",),
        where="status = 'active'",
    )

    assert session.execute(select(probe.c.payload, probe.c.at)).one() == ({"x": [1, 2]}, AT)
