"""Checkout screening's statements use their indexes on an SQLite database that was never analysed.

SQLite plans from the statistics ANALYZE writes; a fresh database (a new shop, a restored file) has
none. Without them it once chose to walk every active list entry of the shop to find the entries
of a handful of linked customers (3 s at a million entries, instead of a fraction of a millisecond),
so every hot statement's plan is read here on an empty, unanalysed schema: no step may scan a table
or search a big table by shop alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from storeguard.core.apikeys import _KEY
from storeguard.core.db import Base, make_engine
from storeguard.core.prepared import padded
from storeguard.lists.matching import _ENTRIES_BY_ID, _MEMBER_ENTRIES, _MEMBERS, _PROBES_ON_KEYS, _RANGES
from storeguard.screening.reads import _CONTEXT, _HISTORY, _PRODUCTS
from storeguard.screening.service import review_queue
from storeguard.screening.velocity_sql import _COUNTS

# Every statement checkout screening runs, by the name the tests use.
NAMES = [
    "member entries",
    "link clusters",
    "entries on keys",
    "entries by id",
    "ranges",
    "shop",
    "history",
    "history as placed",
    "products",
    "products by id",
    "products by sku",
    "velocity",
    "api key",
]
# The statements' own derived tables and CTEs (a few rows each): reading them whole is fine.
DERIVED = {"holders", "m_orders", "m_refunds", "m_items", "m_returns"}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('plans')) / 'fresh.db'}")
    Base.metadata.create_all(engine)
    return engine


def _plan(engine: Engine, sql: str, params: list[object]) -> list[str]:
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        assert not cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall()
        return [row[3] for row in cursor.execute("EXPLAIN QUERY PLAN " + sql, params)]


def _slow_steps(plan: list[str]) -> list[str]:
    """Return the steps that read a whole table, or everything a shop has."""
    slow = []
    for step in plan:
        scanned = re.match(r"SCAN (\w+)", step)
        if (scanned and scanned.group(1) not in DERIVED) or step.endswith("(shop_id=?)"):
            slow.append(step)
    return slow


def _statements(engine: Engine) -> dict[str, tuple[str, list[object]]]:
    dialect = engine.dialect
    ids = padded([1, 2, 3])
    history = _HISTORY._for(dialect, (True, True, False))
    history_as_placed = _HISTORY._for(dialect, (True, True, True))  # the backtest's, bounded by time
    products = _PRODUCTS._for(dialect, (2, 1))
    by_id, by_sku = _PRODUCTS._for(dialect, (2, 0)), _PRODUCTS._for(dialect, (0, 2))
    counts = _COUNTS._for(dialect, (3,))
    key = _KEY._for(dialect, ())
    member_entries = _MEMBER_ENTRIES._for(dialect, (len(ids),))
    clusters = _MEMBERS._for(dialect, (2, True))
    probes = _PROBES_ON_KEYS._for(dialect, (2,))
    entries_by_id = _ENTRIES_BY_ID._for(dialect, (2,))
    ranges = _RANGES._for(dialect, ())
    context = _CONTEXT._for(dialect, ())
    keys = {"type_0": "email", "value_0": "a@b.no", "type_1": "phone", "value_1": "+4791234567"}
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "member entries": (
            member_entries.sql,
            member_entries.parameters({"shop_id": 1} | {f"id_{i}": v for i, v in enumerate(ids)}),
        ),
        "link clusters": (clusters.sql, clusters.parameters({"shop_id": 1, "customer_id": 7} | keys)),
        "entries on keys": (probes.sql, probes.parameters({"shop_id": 1} | keys)),
        "entries by id": (entries_by_id.sql, entries_by_id.parameters({"id_0": 1, "id_1": 2})),
        "ranges": (ranges.sql, ranges.parameters({"shop_id": 1})),
        "shop": (context.sql, context.parameters({"shop_id": 1})),
        "history": (
            history.sql,
            history.parameters({"shop_id": 1, "customer_id": 7, "exclude_order_id": 0, "address": "no|1|x"}),
        ),
        "history as placed": (
            history_as_placed.sql,
            history_as_placed.parameters(
                {
                    "shop_id": 1,
                    "customer_id": 7,
                    "exclude_order_id": 9,
                    "address": "no|1|x",
                    "placed_at": at,
                    "placed_order_id": 9,
                }
            ),
        ),
        "products": (products.sql, products.parameters({"shop_id": 1, "id_0": 1, "id_1": 2, "sku_0": "S"})),
        "products by id": (by_id.sql, by_id.parameters({"shop_id": 1, "id_0": 1, "id_1": 2})),
        "products by sku": (by_sku.sql, by_sku.parameters({"shop_id": 1, "sku_0": "S", "sku_1": "T"})),
        "velocity": (
            counts.sql,
            counts.parameters(
                {f"start_{w}": at for w in ("1h", "24h", "7d", "30d")}
                | {"key_0": "a", "key_1": "b", "key_2": "c", "shop_id": 1, "at": at, "exclude_order_id": 0}
            ),
        ),
        "api key": (key.sql, key.parameters({"key_hash": "x" * 64})),
    }


@pytest.mark.parametrize("name", NAMES)
def test_a_checkout_statement_uses_its_indexes_on_an_unanalysed_sqlite_database(
    fresh: Engine, name: str
) -> None:
    sql, params = _statements(fresh)[name]
    plan = _plan(fresh, sql, params)
    assert plan and _slow_steps(plan) == [], "\n".join(plan)


@pytest.mark.parametrize("name", ["history", "history as placed"])
def test_the_history_looks_up_an_order_s_disputes_by_its_index(fresh: Engine, name: str) -> None:
    # Without the index SQLite would build an automatic one on every run, which the check above lets by.
    sql, params = _statements(fresh)[name]
    plan = _plan(fresh, sql, params)
    assert "SEARCH disputes USING INDEX ix_disputes_order_id (order_id=?)" in plan, "\n".join(plan)


def test_the_plan_check_catches_the_plan_that_walked_every_entry(fresh: Engine) -> None:
    # The statement as it was, joined the plain way: SQLite chose to walk the shop's entries.
    old = (
        "SELECT e.id FROM identifiers i JOIN list_entries e ON e.shop_id = ? AND e.type = i.type "
        "AND e.value = i.value AND e.status = 'active' WHERE i.customer_id IN (?, ?, ?, ?)"
    )
    assert _slow_steps(_plan(fresh, old, [1, 1, 2, 3, 3])) != []


@pytest.mark.parametrize("shop_id", [1, None], ids=["one shop", "every shop"])
def test_the_review_queue_reads_held_orders_by_their_partial_index(
    fresh: Engine, shop_id: int | None
) -> None:
    statements: list[tuple[str, list[object]]] = []

    def grab(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        statements.append((sql, list(params)))  # type: ignore[call-overload]

    event.listen(fresh, "before_cursor_execute", grab)
    try:
        with Session(fresh) as session:
            review_queue(session, shop_id=shop_id)
    finally:
        event.remove(fresh, "before_cursor_execute", grab)
    steps = [step for sql, params in statements if "FROM orders" in sql for step in _plan(fresh, sql, params)]
    on_orders = [step for step in steps if re.match(r"(SCAN|SEARCH) orders", step)]
    assert on_orders and all("ix_orders_held" in step for step in on_orders), "\n".join(steps)
