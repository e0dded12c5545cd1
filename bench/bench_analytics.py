"""Server time of the analytics pages on the benchmark store (target: every page under 1 s).

The store is the demo (20,000 orders with its blocks, refunds, disputes and screening decisions)
plus 80,000 Shopify-shaped orders imported into the same shop: 100,000 orders. Each analytics page
(the default twelve months) and its CSV is asked for by a logged-in owner through the app in this
process, once to warm up and then ``ROUNDS`` times. Figures: ``analytics_page_max_ms_<backend>``
(the slowest page's median) and ``analytics_page_p50_ms_<backend>_<report>``, with the store's
size (``analytics_orders``, ``analytics_customers``) and the machine's load average when it began.
The imported orders are older than twelve months, so every page is asked for again over a period
from the store's first order, counting all 100,000: ``..._<report>_whole`` and
``analytics_page_max_ms_<backend>_whole``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.bench_import import generate as generate_shopify_orders
from bench.scratch import scratch_postgres
from storeguard.analytics.enums import Report
from storeguard.analytics.policy import MAX_PERIOD_DAYS
from storeguard.app import create_app
from storeguard.core.actor import CLI
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.migrations import upgrade_to_head
from storeguard.customers.models import Customer
from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.demo.quickstart import screen_recent_orders
from storeguard.demo.work import open_returns
from storeguard.integrations.bulk.service import import_file
from storeguard.orders.models import Order
from storeguard.staff.actions import create_staff_user, log_in
from storeguard.web.cookies import SESSION_COOKIE

ROUNDS = 5
PASSWORD = "bench owner password"


def _build(url: str, workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Fill an empty database with the benchmark store and an owner; return the owner's session token."""
    demo_orders, imported = (2_000, 8_000) if quick else (20_000, 80_000)
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            loaded = load_demo(session, DemoConfig(customers=demo_orders // 3, orders=demo_orders, seed=11))
            screen_recent_orders(session, loaded.shop)
            open_returns(session, loaded.shop)
            session.commit()
            if session.get_bind().dialect.name == "postgresql":
                # Statistics before the import: without them the risk pass at its end can pick a
                # plan joining identifiers to themselves that ran for over 20 minutes here.
                session.execute(text("ANALYZE"))
                session.commit()
            orders_file = workdir / "orders.jsonl"
            generate_shopify_orders(orders_file, imported, seed=11)
            run = import_file(session, loaded.shop, "shopify", orders_file, report_dir=workdir)
            if run.created != imported:
                raise RuntimeError(f"the import created {run.created} of {imported} orders")
            create_staff_user(
                session,
                email="owner@bench.example",
                name="Bench Owner",
                role="owner",
                password=PASSWORD,
                actor=CLI,
            )
            session.commit()
            outcome = log_in(
                session, email="owner@bench.example", password=PASSWORD, lifetime=timedelta(hours=2)
            )
            session.commit()
            size = {
                "orders": session.scalar(select(func.count()).select_from(Order)),
                "customers": session.scalar(select(func.count()).select_from(Customer)),
                # The longest period a page takes, back to the store's first order.
                "first_day": max(
                    session.scalar(select(func.min(Order.created_at))).date(),
                    datetime.now(UTC).date() - timedelta(days=MAX_PERIOD_DAYS),
                ).isoformat(),
            }
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        return {"token": outcome.token, **size}
    finally:
        engine.dispose()


def _time_pages(url: str, token: str, first_day: str) -> dict[str, list[float]]:
    settings = get_settings().model_copy(update={"database_url": url, "background_work": False})
    timings: dict[str, list[float]] = {}
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
        for report in Report:
            whole = f"?since={first_day}"  # every order of the store, not only the last twelve months
            for name, path in (
                (str(report), f"/analytics/{report}"),
                (f"{report}_csv", f"/analytics/{report}.csv"),
                (f"{report}_whole", f"/analytics/{report}{whole}"),
                (f"{report}_csv_whole", f"/analytics/{report}.csv{whole}"),
            ):
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


def _figures(backend: str, built: dict[str, Any], timings: dict[str, list[float]]) -> dict[str, float]:
    medians = {name: round(statistics.median(samples), 1) for name, samples in timings.items()}
    figures: dict[str, float] = {
        f"analytics_page_max_ms_{backend}": max(v for k, v in medians.items() if not k.endswith("_whole")),
        f"analytics_page_max_ms_{backend}_whole": max(v for k, v in medians.items() if k.endswith("_whole")),
        f"analytics_orders_{backend}": built["orders"],
        f"analytics_customers_{backend}": built["customers"],
    }
    figures.update({f"analytics_page_p50_ms_{backend}_{name}": ms for name, ms in medians.items()})
    return figures


def run(quick: bool = False, backends: tuple[str, ...] = ("sqlite", "postgres")) -> dict[str, float]:
    """Build the benchmark store on each database, then time the analytics pages on it."""
    figures: dict[str, float] = {"analytics_load_average": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "sqlite" in backends:
            url = f"sqlite:///{workdir / 'analytics.db'}"
            built = _build(url, workdir, quick=quick)
            figures.update(_figures("sqlite", built, _time_pages(url, built["token"], built["first_day"])))
        if "postgres" in backends:
            with scratch_postgres() as pg_url:
                built = _build(pg_url, workdir, quick=quick)
                figures.update(
                    _figures("postgres", built, _time_pages(pg_url, built["token"], built["first_day"]))
                )
    figures["analytics_load_average_after"] = round(os.getloadavg()[0], 2)
    return figures


if __name__ == "__main__":
    import json
    import sys

    chosen = tuple(b for b in ("sqlite", "postgres") if b in sys.argv) or ("sqlite", "postgres")
    print(json.dumps(run(quick="--quick" in sys.argv, backends=chosen), indent=2))
