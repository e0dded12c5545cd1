"""Server time of the admin pages on a big store: the demo shop scaled to 100,000 orders and
1,000,000 list entries, on SQLite and PostgreSQL (each page's target: under 50 ms at the median).

The store is the demo (20,000 orders with its held orders, blocks and decisions) plus 80,000
Shopify-shaped orders imported into the same shop (relinked, as an import leaves it) and a
million list entries imported from CSV; ``quick`` makes it 2,000 + 8,000 orders and 100,000
entries. Each page is asked for by a logged-in owner through the app in this process (an ASGI
test client: no network, no server process), a few times to warm up and then ``ROUNDS`` times;
the time is from request to the last byte of the answer. Figures: ``ui_page_p50_ms_*`` and
``ui_page_p95_ms_*`` over every request to every page, and ``ui_page_p50_ms_*_<page>`` per page.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench.bench_import import generate as generate_shopify_orders
from bench.bench_lists_import import _write_csv as write_list_csv
from bench.scratch import scratch_postgres
from storeguard.app import create_app
from storeguard.core.actor import CLI
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.migrations import upgrade_to_head
from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.demo.quickstart import screen_recent_orders
from storeguard.demo.work import open_returns
from storeguard.integrations.bulk.service import import_file
from storeguard.lists.csvio import import_entries, read_csv
from storeguard.orders.models import Order
from storeguard.returns.models import Return
from storeguard.staff.actions import create_staff_user, log_in
from storeguard.web.cookies import SESSION_COOKIE

WARM_UP = 3
ROUNDS = 25
PASSWORD = "bench owner password"

# The main pages; each is given the ids it needs.
Ids = dict[str, Any]
PAGES: dict[str, Callable[[Ids], str]] = {
    "dashboard": lambda ids: "/",
    "orders": lambda ids: "/orders",
    "orders_search": lambda ids: f"/orders?q={ids['email']}",
    "orders_held": lambda ids: "/orders?held=true",
    "order": lambda ids: f"/orders/{ids['order']}",
    "refund_dialog": lambda ids: f"/orders/{ids['order']}/refund",
    "decisions": lambda ids: "/decisions",
    "review_queue": lambda ids: "/reviews",
    "customers": lambda ids: "/customers",
    "customers_search": lambda ids: f"/customers?q={ids['email']}",
    "customer": lambda ids: f"/customers/{ids['customer']}",
    "lists": lambda ids: "/lists",
    "lists_filtered": lambda ids: "/lists?type=email&status=active",
    "rules": lambda ids: "/rules",
    "named_lists": lambda ids: "/rules/lists",
    "audit": lambda ids: "/audit",
    "integrations": lambda ids: "/integrations",
    "settings": lambda ids: "/settings",
    "returns": lambda ids: "/returns",
    "returns_to_inspect": lambda ids: "/returns?status=received",
    "return": lambda ids: f"/returns/{ids['return']}",
}


def _build(url: str, workdir: Path, *, quick: bool) -> Ids:
    """Fill an empty database with the scaled demo store and an owner; return ids the pages need."""
    demo_orders, imported, entries = (2_000, 8_000, 100_000) if quick else (20_000, 80_000, 1_000_000)
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            loaded = load_demo(session, DemoConfig(customers=demo_orders // 3, orders=demo_orders, seed=11))
            screen_recent_orders(session, loaded.shop)
            open_returns(session, loaded.shop)
            session.commit()
            shop = loaded.shop
            orders_file = workdir / "orders.jsonl"
            generate_shopify_orders(orders_file, imported, seed=11)
            run = import_file(session, shop, "shopify", orders_file, report_dir=workdir)
            if run.created != imported:
                raise RuntimeError(f"the import created {run.created} of {imported} orders")
            list_file = workdir / "entries.csv"
            write_list_csv(list_file, entries)
            with list_file.open(newline="", encoding="utf-8") as stream:
                result = import_entries(session, read_csv(stream), shop_id=shop.id, actor=CLI, source="bench")
            if result.errors:
                raise RuntimeError(f"the list import refused rows: {result.errors[:3]}")
            owner = create_staff_user(
                session,
                email="owner@bench.example",
                name="Bench Owner",
                role="owner",
                password=PASSWORD,
                actor=CLI,
            )
            session.commit()
            latest = session.execute(
                select(Order.id, Order.email, Order.customer_id)
                .where(Order.shop_id == shop.id, Order.customer_id.is_not(None))
                .order_by(Order.id.desc())
                .limit(1)
            ).one()
            a_return = session.scalar(select(Return.id).order_by(Return.id.desc()).limit(1))
            outcome = log_in(session, email=owner.email, password=PASSWORD, lifetime=timedelta(hours=2))
            session.commit()
        # Fresh statistics after the bulk load, as autovacuum would gather them on a live store.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
            return {
                "order": latest.id,
                "email": latest.email,
                "customer": latest.customer_id,
                "token": outcome.token,
                "return": a_return,
            }
    finally:
        engine.dispose()


def _time_pages(url: str, ids: Ids) -> dict[str, list[float]]:
    """Ask for every page as the owner; return each page's times in milliseconds."""
    settings = get_settings().model_copy(update={"database_url": url, "background_work": False})
    timings: dict[str, list[float]] = {}
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        client.cookies.set(SESSION_COOKIE, ids["token"], domain="testserver.local")
        for name, path_of in PAGES.items():
            path = path_of(ids)
            for _ in range(WARM_UP):
                _get(client, path)
            samples = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                _get(client, path)
                samples.append((time.perf_counter() - started) * 1000)
            timings[name] = samples
    return timings


def _get(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} answered {answer.status_code}")


def _figures(backend: str, timings: dict[str, list[float]]) -> dict[str, float]:
    every = sorted(t for samples in timings.values() for t in samples)
    figures = {
        f"ui_page_p50_ms_{backend}": round(statistics.median(every), 1),
        f"ui_page_p95_ms_{backend}": round(every[int(0.95 * (len(every) - 1))], 1),
    }
    for name, samples in timings.items():
        figures[f"ui_page_p50_ms_{backend}_{name}"] = round(statistics.median(samples), 1)
    return figures


def run(quick: bool = False) -> dict[str, float]:
    """Build the big store on each database, then time the pages on it."""
    figures: dict[str, float] = {"ui_page_load_average": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'ui.db'}"
        figures.update(_figures("sqlite", _time_pages(url, _build(url, workdir, quick=quick))))
        with scratch_postgres() as pg_url:
            figures.update(_figures("postgres", _time_pages(pg_url, _build(pg_url, workdir, quick=quick))))
    return figures


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
