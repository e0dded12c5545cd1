"""Risk at scale: a full recompute of 20,000 customers and 200,000 orders, what keeping it current
costs an order write, how fast the background pass catches up, and what the risk facts cost a
checkout screening. On SQLite and on a scratch PostgreSQL database, in one run.

The store is bench_screen's (customers in clusters of three, orders, list entries, rules) at this
size, with each order's history added: two lines (one order in eight has two sizes of a product),
a gateway fee, a delivery for most, returns and refunds for about one in eight, chargebacks.

Run alone with ``PYTHONPATH=src python -m bench.bench_risk [--quick]``; it merges its figures into
bench/results/latest.json.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from sqlalchemy import event, func, null, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.__main__ import main  # noqa: E402
from bench.bench_screen import _checkout, _fill, _ts, build  # noqa: E402
from bench.scratch import on_both_databases  # noqa: E402
from storeguard.core.db import make_engine, make_session_factory  # noqa: E402
from storeguard.models import import_all_models  # noqa: E402

REASONS = ["size_too_large", "size_too_small", "not_as_described", "changed_mind", None, "damaged"]


def add_history(url: str, info: dict[str, Any], seed: int = 3) -> None:
    """Give every order of the store lines, a fee, a delivery and (for some) refunds and disputes."""
    from storeguard.disputes.models import Dispute
    from storeguard.orders.models import Fulfillment, LineItem, Order, Refund, RefundLine, Transaction
    from storeguard.screening.profiles import rebuild_profiles

    import_all_models()
    rnd = random.Random(seed)
    engine = make_engine(url)
    tables = [m.__table__ for m in (LineItem, Fulfillment, Transaction, Refund, RefundLine, Dispute)]
    with engine.begin() as conn:
        for table in tables:
            for index in table.indexes:
                index.drop(conn)
    products = info["products"]
    with make_session_factory(engine)() as s:
        if engine.dialect.name == "sqlite":
            s.connection().exec_driver_sql("PRAGMA cache_size=-262144")
        orders = s.execute(
            select(Order.id, Order.customer_id, Order.total, Order.created_at, Order.status).order_by(
                Order.id
            )
        ).all()
        lines, fulfillments, fees, refunds, refund_lines, disputes = [], [], [], [], [], []
        # bench_screen's store has refunds and disputes of its own: these come after them.
        line_id, refund_id = 0, s.scalar(select(func.max(Refund.id))) or 0
        for oid, cid, total, created, status in orders:
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            first = rnd.choice(products)
            second = first if rnd.random() < 0.125 else rnd.choice(products)
            price = max(1, total // 2)
            ids = []
            for n, (pid, sku, _) in enumerate((first, second)):
                line_id += 1
                ids.append(line_id)
                variant = json.dumps({"size": ["S", "M", "L"][n]})
                lines.append((line_id, oid, pid, sku, f"Product {pid}", 1, price, variant))
            fees.append((oid, "sale", total, "NOK", "success", "stripe", total * 3 // 100, _ts(created)))
            if status == "cancelled" or rnd.random() < 0.15:
                continue
            delivered = created + timedelta(days=rnd.randint(2, 6))
            fulfillments.append((oid, "delivered", _ts(created + timedelta(days=1)), _ts(delivered)))
            if rnd.random() < 0.12:
                refund_id += 1
                at = delivered + timedelta(days=rnd.randint(1, 25))
                reason = rnd.choice(REASONS)
                restock = reason != "damaged" and rnd.random() < 0.9
                day = at.date().isoformat()
                refunds.append((refund_id, oid, price, "NOK", reason, "bench", day, day, _ts(at)))
                refund_lines.append((refund_id, ids[1], 1, price, restock, restock))
            if rnd.random() < 0.005:
                status = "lost" if rnd.random() < 0.7 else "won"
                disputes.append(
                    ("stripe", f"dp_h{oid}", info["shop_id"], oid, cid, total, "NOK", status, _ts(delivered))
                )
        _fill(
            s,
            LineItem.__table__,
            ["id", "order_id", "product_id", "sku", "title", "quantity", "unit_price", "variant"],
            iter(lines),
        )
        _fill(
            s,
            Transaction.__table__,
            ["order_id", "kind", "amount", "currency", "status", "gateway", "fee", "created_at"],
            iter(fees),
        )
        _fill(
            s, Fulfillment.__table__, ["order_id", "state", "created_at", "delivered_at"], iter(fulfillments)
        )
        _fill(
            s,
            Refund.__table__,
            ["id", "order_id", "amount", "currency", "reason", "actor"]
            + ["expected_arrival_from", "expected_arrival_to", "created_at"],
            iter(refunds),
        )
        _fill(
            s,
            RefundLine.__table__,
            ["refund_id", "line_item_id", "quantity", "amount", "restock", "returned"],
            iter(refund_lines),
        )
        _fill(
            s,
            Dispute.__table__,
            ["gateway", "gateway_dispute_id", "shop_id", "order_id", "customer_id", "amount", "currency"]
            + ["status", "created_at"],
            iter(disputes),
        )
        for table in tables:
            for index in table.indexes:
                index.create(s.connection())
        if engine.dialect.name == "postgresql":
            for table in (LineItem.__table__, Refund.__table__):
                sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                s.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table.name}"))
        s.commit()
        rebuild_profiles(s)  # the history went in without the ORM, as a load's does
        s.execute(text("ANALYZE"))
        s.commit()
    engine.dispose()


def time_recompute(url: str, shop_id: int) -> tuple[float, float, int]:
    """Time ``recompute_risk`` of the whole shop twice (rows made, then rows updated), with the commit."""
    from storeguard.risk.actions import recompute_risk

    engine = make_engine(url)
    times = []
    with make_session_factory(engine)() as s:
        for _ in range(2):
            t = time.perf_counter()
            done = recompute_risk(s, shop_id=shop_id)
            s.commit()
            times.append(time.perf_counter() - t)
    engine.dispose()
    return times[0], times[1], done


def known_customer_order(info: dict[str, Any], rnd: random.Random) -> Any:
    """An order of one product for a known customer of the bench store, paid by a sale with a fee."""
    from storeguard.orders.schemas import OrderCreate  # noqa: PLC0415 - after the bench's path setup, as its callers did

    n = rnd.randrange(info["customers"])
    pid = rnd.choice(info["products"])[0]
    return OrderCreate(
        shop_id=info["shop_id"],
        customer_id=n + 1,
        currency="NOK",
        email=f"c{n}@mail{n % 97}.example",
        lines=[{"product_id": pid, "quantity": 1}],
        payment={"kind": "sale", "fee": 100, "gateway": "stripe"},
    )


def time_order_writes(url: str, info: dict[str, Any], count: int) -> dict[str, float]:
    """Place orders through ``create_order`` (committed, as the API does), with and without the
    risk listener, alternating; and time the marking upsert itself."""
    from storeguard.core.actor import Actor
    from storeguard.core.enums import Role
    from storeguard.orders.actions import create_order
    from storeguard.risk import freshness

    actor = Actor("cli", "bench", Role.owner)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rnd = random.Random(5)
    marks: list[float] = []
    mark = freshness.mark_stale

    def timed_mark(session: Session, touched: Any) -> None:
        t = time.perf_counter()
        mark(session, touched)
        marks.append((time.perf_counter() - t) * 1000)

    freshness.mark_stale = timed_mark
    on, off = [], []
    try:
        for i in range(count + 20):
            data = known_customer_order(info, rnd)
            listening = i % 2 == 0
            if not listening:
                event.remove(Session, "after_flush", freshness._after_flush)
            try:
                with factory() as s:
                    t = time.perf_counter()
                    create_order(s, actor=actor, data=data)
                    s.commit()
                    elapsed = (time.perf_counter() - t) * 1000
            finally:
                if not listening:
                    event.listen(Session, "after_flush", freshness._after_flush)
            if i >= 20:  # warm-up: statements compiled, caches filled
                (on if listening else off).append(elapsed)
    finally:
        freshness.mark_stale = mark
    engine.dispose()
    return {
        "order_write_median_ms": statistics.median(on),
        "order_write_median_ms_unmarked": statistics.median(off),
        "risk_mark_median_ms": statistics.median(marks[20:]),
    }


def time_refresh(url: str, info: dict[str, Any], count: int) -> float:
    """Mark ``count`` customers stale and time the background pass reassessing them all; per second."""
    from storeguard.risk.freshness import refresh_all_stale
    from storeguard.risk.models import StaleRisk

    engine = make_engine(url)
    rnd = random.Random(9)
    ids = sorted(rnd.sample(range(1, info["customers"] + 1), count))
    with make_session_factory(engine)() as s:
        s.execute(StaleRisk.__table__.delete())
        s.execute(
            StaleRisk.__table__.insert(),
            [{"customer_id": i, "shop_id": info["shop_id"], "changes": 1} for i in ids],
        )
        s.commit()
        t = time.perf_counter()
        done = refresh_all_stale(s)
        elapsed = time.perf_counter() - t
    engine.dispose()
    return done / elapsed


def time_screen_with_and_without_risk(url: str, info: dict[str, Any], count: int) -> tuple[float, float]:
    """Median in-process screen() of checkouts (70 % known customers), the customer's risk read and
    not (the same statement with that column a NULL), in alternating blocks; milliseconds."""
    from storeguard.core.api import Reader
    from storeguard.core.prepared import Prepared
    from storeguard.screening import reads
    from storeguard.screening.engine import screen
    from storeguard.screening.inputs import from_screen_in
    from storeguard.screening.schemas import ScreenOrderIn

    real_statement = reads._history_statement

    def without_risk(known: bool, address: bool, as_of: bool = False, kept: bool = False) -> Any:
        stmt = real_statement(known, address, as_of, kept)
        if not known:
            return stmt
        cols = list(stmt.selected_columns)
        return stmt.with_only_columns(*cols[:11], null(), *cols[12:])

    variants = {"risk": reads._HISTORY, "none": Prepared(without_risk)}
    engine = make_engine(url)
    reader = Reader(engine, make_session_factory(engine))
    rnd = random.Random(11)
    bodies = [ScreenOrderIn.model_validate(_checkout(info, rnd)) for _ in range(count)]
    samples: dict[str, list[float]] = {"risk": [], "none": []}
    try:
        for block in range(0, count, 100):
            for name, prepared in variants.items():
                reads._HISTORY = prepared
                for i, body in enumerate(bodies[block : block + 100]):
                    t = time.perf_counter()
                    with reader.open() as db:
                        screen(db, from_screen_in(db, body))
                    if block or i >= 20:
                        samples[name].append((time.perf_counter() - t) * 1000)
    finally:
        reads._HISTORY = variants["risk"]
    engine.dispose()
    return statistics.median(samples["risk"]), statistics.median(samples["none"])


def measure(url: str, customers: int, orders: int, quick: bool) -> dict[str, float]:
    t = time.perf_counter()
    info = build(url, customers=customers, entries=customers * 5, orders=orders, rules=200)
    add_history(url, info)
    build_s = time.perf_counter() - t
    first, again, assessed = time_recompute(url, info["shop_id"])
    screen_risk, screen_none = time_screen_with_and_without_risk(url, info, 600 if quick else 2000)
    writes = time_order_writes(url, info, 60 if quick else 400)
    refresh = time_refresh(url, info, 500 if quick else 2000)
    return {
        "risk_bench_build_s": round(build_s, 1),
        "risk_recompute_s": round(first, 2),
        "risk_recompute_again_s": round(again, 2),
        "risk_recompute_customers": float(assessed),
        "risk_refresh_customers_per_s": round(refresh, 1),
        "order_write_median_ms": round(writes["order_write_median_ms"], 3),
        "order_write_median_ms_unmarked": round(writes["order_write_median_ms_unmarked"], 3),
        "risk_mark_median_ms": round(writes["risk_mark_median_ms"], 3),
        "screen_p50_ms_with_risk": round(screen_risk, 3),
        "screen_p50_ms_without_risk": round(screen_none, 3),
        "screen_p50_risk_growth": round(screen_risk / screen_none - 1, 3),
    }


def run(quick: bool = False) -> dict[str, float]:
    """20,000 customers and 200,000 orders (2,000 and 20,000 when quick), on SQLite then PostgreSQL."""
    customers, orders = (2_000, 20_000) if quick else (20_000, 200_000)
    return on_both_databases("risk_bench", measure, customers, orders, quick)


if __name__ == "__main__":
    main(["risk", *sys.argv[1:]])
