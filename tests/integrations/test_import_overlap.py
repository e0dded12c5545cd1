"""PostgreSQL imports written over two connections at once store what one connection stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.imports import overlap
from storeguard.integrations.imports.service import import_file
from storeguard.integrations.models import ImportRun
from storeguard.orders.models import Order
from storeguard.shops.models import Shop
from tests.factories import make_shop
from tests.integrations.test_import_fast_paths import _history, _orders_and_customers, _snapshot


def _rows() -> list[str]:
    """A shop's history in batches of two: customers that recur and change, a bad row, an order
    again in the next batch (newer), one already stored, one with a number already used (stored, flagged)."""
    history = _history(10)
    for i, order in enumerate(history):
        if i % 2:
            order["customer"] = {
                "id": 4242,
                "email": "kari@example.no",
                "first_name": "Kari" if i < 5 else "Kari Anne",
                "updated_at": "2025-01-01T00:00:00Z" if i < 5 else "2025-02-01T00:00:00Z",
            }
    rows = [json.dumps(o) for o in history]
    rows.insert(3, "{not json")
    rows.insert(6, json.dumps({**history[4], "updated_at": "2025-06-01T00:00:00Z", "note": "again"}))
    rows.append(json.dumps({**history[0], "updated_at": "2025-07-01T00:00:00Z", "note": "edited"}))
    rows.append(json.dumps({**history[1], "id": 998}))  # a new order with a number already used: flagged
    return rows


def _import(engine: Engine, shop_id: int, path: Path, report_dir: Path, *, parallel: bool) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return import_file(
            session, shop, "shopify", path, report_dir=report_dir, batch_size=2, parallel=parallel
        )


def _facts(engine: Engine, shop_id: int) -> tuple[Any, ...]:
    with Session(engine) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        customers = session.execute(
            select(Customer.platform_id, func.count())
            .where(Customer.shop_id == shop_id)
            .group_by(Customer.platform_id)
        ).all()
        return (
            _orders_and_customers(session, shop),
            _snapshot(session, shop),
            sorted(tuple(c) for c in customers),
        )


@pytest.fixture
def shops(backend: str, committing_engine: Engine) -> tuple[int, int]:
    if backend != "postgresql":
        pytest.skip("writing over two connections at once is PostgreSQL's (SQLite has one writer)")
    with Session(committing_engine) as session:
        one, two = make_shop(session, currency="NOK"), make_shop(session, currency="NOK")
        session.commit()
        return one.id, two.id


def test_batches_written_over_two_connections_store_what_one_connection_stores(
    committing_engine: Engine, shops: tuple[int, int], tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(_rows()))

    runs = [
        _import(committing_engine, shop_id, path, tmp_path / str(parallel), parallel=parallel)
        for shop_id, parallel in zip(shops, (False, True), strict=True)
    ]

    counts = [(r.status, r.rows_done, r.created, r.updated, r.skipped, r.failed) for r in runs]
    assert counts[0] == counts[1] == ("finished", 14, 11, 2, 0, 1)
    reports = [Path(r.report_path).read_text() for r in runs]
    assert reports[0] == reports[1]
    one, two = (_facts(committing_engine, shop_id) for shop_id in shops)
    assert one == two
    assert [count for _, count in two[2]] == [1, 1]  # each customer once


def test_a_batch_that_fails_leaves_the_batches_before_it_committed_and_a_resume_completes_the_file(
    committing_engine: Engine, shops: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(_rows()))
    write = overlap.write_looked_up

    def fail_at_the_second_batch(session: Session, shop: Shop, batch: Any, found: Any, **kw: Any) -> Any:
        if batch.last_row == 4:
            raise RuntimeError("the database went away")
        return write(session, shop, batch, found, **kw)

    monkeypatch.setattr(overlap, "write_looked_up", fail_at_the_second_batch)
    with pytest.raises(RuntimeError, match="went away"):
        _import(committing_engine, shops[1], path, tmp_path, parallel=True)
    with Session(committing_engine) as session:
        run = session.scalars(select(ImportRun).where(ImportRun.shop_id == shops[1])).one()
        stored = session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shops[1]))
    # The first batch only: the third, written beside the second, waited for it and rolled back.
    assert (run.status, run.rows_done, run.created, stored) == ("running", 2, 2, 2)

    monkeypatch.setattr(overlap, "write_looked_up", write)
    resumed = _import(committing_engine, shops[1], path, tmp_path, parallel=True)
    whole = _import(committing_engine, shops[0], path, tmp_path / "one", parallel=False)

    assert (resumed.status, resumed.rows_done, resumed.created, resumed.updated, resumed.failed) == (
        whole.status,
        whole.rows_done,
        whole.created,
        whole.updated,
        whole.failed,
    )
    assert _facts(committing_engine, shops[0]) == _facts(committing_engine, shops[1])
