"""Checkout screening's statements have an index for every table they read, on PostgreSQL too.

On an empty database PostgreSQL would rightly scan every (empty) table, so its plans are read
with sequential scans priced out (``enable_seqscan = off``): a table it still scans has no index
the statement can use. The schema is the migrations' (what production runs), not the models'.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine

from storeguard.core.db import make_engine
from storeguard.core.migrations import upgrade_to_head
from storeguard.core.prepared import _together
from storeguard.lists.matching import _BLOCKED_HOLDERS, _LINKED, _PROBES_ON_KEYS
from storeguard.screening.reads import _HISTORY
from storeguard.screening.velocity_sql import _COUNTS
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


def _scanned_tables(engine: Engine, sql: str, params: Any, raw: bool = False) -> list[str]:
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        cursor = psycopg.RawCursor(driver) if raw else driver.cursor()
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


_KEYS = {"type_0": "email", "value_0": "a@b.no", "type_1": "phone", "value_1": "+4791234567"}


def test_the_link_clusters_with_their_entries_have_an_index_for_every_table_they_read(
    migrated: Engine,
) -> None:
    # PostgreSQL's one statement for the members of the order's clusters and the entries on them.
    linked = _LINKED._for(migrated.dialect, (2, True))
    params = linked.parameters({"shop_id": 1, "customer_id": 7} | _KEYS)

    assert _scanned_tables(migrated, linked.sql, params) == []


def test_the_checkout_reads_sent_as_one_statement_have_an_index_for_every_table_they_read(
    migrated: Engine,
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [
        (_HISTORY, (True, True, False, True), {"shop_id": 1, "customer_id": 7, "address": "no|1|x"}),
        (
            _COUNTS,
            (2,),
            {f"start_{w}": at for w in ("1h", "24h", "7d", "30d")}
            | {"key_0": "a", "key_1": "b", "shop_id": 1, "at": at, "exclude_order_id": 0},
        ),
        (_PROBES_ON_KEYS, (2,), {"shop_id": 1} | _KEYS),
        (_LINKED, (2, True), {"shop_id": 1, "customer_id": 7} | _KEYS),
        (_BLOCKED_HOLDERS, (2,), {"shop_id": 1} | _KEYS),
    ]
    parts = tuple(prepared._for(migrated.dialect, shape) for prepared, shape, _ in runs)
    together = _together(parts)
    values = together.values([part.parameters(v) for part, (_, _, v) in zip(parts, runs, strict=True)])

    assert _scanned_tables(migrated, together.sql, values, raw=True) == []
