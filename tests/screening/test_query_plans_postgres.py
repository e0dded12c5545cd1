"""Checkout screening's statements have an index for every table they read, on PostgreSQL too.

On an empty database PostgreSQL would rightly scan every (empty) table, so its plans are read
with sequential scans priced out (``enable_seqscan = off``): a table it still scans has no index
the statement can use. The schema is the migrations' (what production runs), not the models'.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from storeguard.core.db import make_engine
from storeguard.core.migrations import upgrade_to_head
from tests.conftest import REQUIRE_PG, _make_pg_database
from tests.screening.test_query_plans import DERIVED, NAMES, _statements


@pytest.fixture(scope="module")
def migrated() -> Iterator[Engine]:
    try:
        url, drop = _make_pg_database()
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    upgrade_to_head(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scanned_tables(engine: Engine, sql: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        [[explained]] = cursor.fetchall()
        conn.rollback()
    return [
        node["Relation Name"]
        for node in _nodes(explained[0]["Plan"])
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] not in DERIVED
    ]


@pytest.mark.parametrize("name", NAMES)
def test_a_checkout_statement_has_an_index_for_every_table_it_reads_on_postgresql(
    migrated: Engine, name: str
) -> None:
    sql, params = _statements(migrated)[name]

    assert _scanned_tables(migrated, sql, params) == []


def test_the_check_finds_a_table_read_without_an_index(migrated: Engine) -> None:
    unindexed = "SELECT id FROM orders WHERE note = %(note)s"

    assert _scanned_tables(migrated, unindexed, {"note": "x"}) == ["orders"]
