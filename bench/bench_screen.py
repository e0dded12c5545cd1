"""Screening speed on the demo store scaled up: 1M list entries, 1M identifier rows, 200 active rules.

Figures: ``screen_p50_ms`` / ``screen_p95_ms`` / ``screen_p99_ms`` (in-process ``screen()`` of a
prospective order on the connection the checkout route reads on), ``http_screen_rps`` and
``http_bare_rps`` (``POST /v1/screen`` and a bare FastAPI route, ``bench.floor_app``, on one uvicorn
worker, same run, driven by ``wrk`` when installed, else a concurrent httpx client),
``http_screen_ratio``, ``http_checkout_floor_rps`` (the checkout route's HTTP work without
screening, ``bench.floor_app``), and ``backtest_1m_orders_s`` (one rule over one million orders).
The same store is then built in a scratch PostgreSQL database and the checkout figures measured
again, named with ``_postgres``. Quick mode shrinks everything.

Run alone with ``PYTHONPATH=src python -m bench.bench_screen [--quick]``; it merges its figures
into bench/results/latest.json.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scratch import scratch_postgres  # noqa: E402
from storeguard.core.actor import Actor  # noqa: E402
from storeguard.core.db import Base, make_engine, make_session_factory  # noqa: E402
from storeguard.core.enums import Role  # noqa: E402
from storeguard.models import import_all_models  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
ACTOR = Actor("cli", "bench", Role.owner)
RULE_TEMPLATES = [
    "review if order.total > {n}",
    "block if email.domain == 'spam{i}.example'",
    "verify if velocity.orders_per_email_24h > {k}",
    "review if order.is_first_order and order.total > {n}",
    "block if customer.chargebacks > {k} and customer.return_ratio > 0.{k}",
    "review if order.shipping_country != order.billing_country and order.total > {n}",
    "verify if order.has_limited_edition and customer.orders_count < {k}",
    "block if ip.address == '10.9.{k}.{i}'",
]


def _ts(value: datetime) -> str:
    # How SQLAlchemy keeps an aware UTC timestamp in SQLite; the bench writes rows straight through the driver.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _fill(session: Session, table: Any, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows through the DBAPI in one executemany: a million rows in seconds, not minutes.

    Rows are tuples in ``columns`` order, already as SQLite keeps them (timestamps as UTC text,
    JSON encoded), generated lazily; the columns' Python-side defaults are appended once here,
    since the driver skips them. PostgreSQL reads the same text through COPY (its session in UTC).
    """
    defaults = [c for c in table.columns if c.name not in columns and c.default is not None]
    fixed = []
    for c in defaults:
        value = c.default.arg(None) if c.default.is_callable else c.default.arg
        fixed.append(_ts(value) if isinstance(value, datetime) else _json(value))
    names = columns + [c.name for c in defaults]
    tail = tuple(fixed)
    cursor = session.connection().connection.driver_connection.cursor()
    if session.get_bind().dialect.name == "postgresql":
        cursor.execute("SET TIME ZONE 'UTC'")
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + tail)
    else:
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        cursor.executemany(sql, (row + tail for row in rows) if tail else rows)
    cursor.close()


def _json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def build(
    url: str, *, customers: int, entries: int, orders: int, rules: int, seed: int = 7
) -> dict[str, Any]:
    """Build the scaled store and return what the timing loops need."""
    from storeguard.core.apikeys import create_api_key
    from storeguard.customers.models import Customer, Identifier
    from storeguard.disputes.models import Dispute
    from storeguard.lists.models import ListEntry
    from storeguard.orders.models import Order, Refund
    from storeguard.rules.actions import create_rule
    from storeguard.screening.models import VelocityEvent
    from storeguard.screening.profiles import rebuild_profiles
    from storeguard.screening.velocity import digest
    from storeguard.shops.models import Product, Shop

    rnd = random.Random(seed)
    import_all_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    bulk = [t.__table__ for t in (Customer, Identifier, ListEntry, Order, VelocityEvent)]
    # Indexes are built once after the load: sorting a million keys beats a million random B-tree inserts.
    with engine.begin() as conn:
        for table in bulk:
            for index in table.indexes:
                index.drop(conn)
    with make_session_factory(engine)() as s:
        if engine.dialect.name == "sqlite":  # 256 MB: the index builds sort in memory
            s.connection().exec_driver_sql("PRAGMA cache_size=-262144")
        shop = Shop(
            name="Demo Nordic", domain="demo-nordic.example", currency="NOK", country="NO", created_at=NOW
        )
        s.add(shop)
        s.flush()
        products = [
            Product(
                shop_id=shop.id,
                sku=f"SKU-{i}",
                title=f"Product {i}",
                category=rnd.choice(["apparel", "shoes", "bags"]),
                tags=["drop"] if i % 20 == 0 else [],
                price=rnd.randint(100, 5000) * 100,
                high_value=i % 10 == 0,
                limited_edition=i % 20 == 0,
                stock=1000,
                created_at=NOW,
            )
            for i in range(200)
        ]
        s.add_all(products)
        s.flush()
        sid, now_s, old_s = shop.id, _ts(NOW), _ts(NOW - timedelta(days=400))
        _fill(
            s,
            Customer.__table__,
            ["id", "shop_id", "email", "first_name", "last_name", "locale", "state", "cluster_id"]
            + ["created_at", "updated_at"],
            (
                (i + 1, sid, f"c{i}@mail{i % 97}.example", "Kari", f"N{i}", "nb", "enabled")
                + ((i + 1) - (i % 3), old_s, now_s)
                for i in range(customers)
            ),
        )
        seen_s = _ts(NOW - timedelta(days=300))

        def identifiers() -> Iterator[tuple[Any, ...]]:
            for i in range(customers):
                for kind, value in (
                    ("email", f"c{i}@mail{i % 97}.example"),
                    ("phone", f"+47{40000000 + i}"),
                    ("device_id", f"dev-{i}"),
                    ("payment_fingerprint", f"card:411111:{i % 10000:04d}:{i}"),
                    ("shipping_address", f"no|{1000 + i % 8000}||storgata {i % 300}"),
                ):
                    yield (sid, i + 1, kind, value, value, "order", seen_s, now_s)

        _fill(
            s,
            Identifier.__table__,
            ["shop_id", "customer_id", "type", "value", "display", "source", "first_seen", "last_seen"],
            identifiers(),
        )
        kinds = ["email", "phone", "ip", "device_id", "payment_fingerprint", "email_domain", "customer"]
        scoped, everything = json.dumps({"kind": "limited_edition"}), json.dumps({"kind": "everything"})
        evidence = json.dumps({"notes": ["bench"]})

        def entries_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(entries):
                kind = kinds[i % len(kinds)]
                if i % 100 == 0:  # one entry in a hundred is on a real customer's identifier
                    n = rnd.randrange(customers)
                    value = {
                        "email": f"c{n}@mail{n % 97}.example",
                        "phone": f"+47{40000000 + n}",
                        "ip": f"10.1.{n % 250}.{n % 200}",
                        "device_id": f"dev-{n}",
                        "payment_fingerprint": f"card:411111:{n % 10000:04d}:{n}",
                        "email_domain": f"burner{n}.example",
                        "customer": str(n + 1),
                    }[kind]
                else:
                    value = f"{kind}-{i}-{rnd.random():.8f}"
                scope = scoped if i % 7 == 0 else everything
                action = ("block", "review", "verify")[i % 3]
                yield (sid, "block", kind, value, value, scope, action, "fraud", evidence, "bench") + (
                    now_s,
                    now_s,
                    "active",
                    f"{i:040d}",
                )

        _fill(
            s,
            ListEntry.__table__,
            ["shop_id", "kind", "type", "value", "display", "scope", "action", "reason_code", "evidence"]
            + ["created_by", "created_at", "updated_at", "status", "dedupe_key"],
            entries_rows(),
        )
        vel_rows: list[tuple[Any, ...]] = []
        # A refund on one order in 40 (recorded a week later) and a lost dispute on one in 150 (opened
        # three weeks later): the customer facts' backtest counts them as of each order.
        refund_rows: list[tuple[Any, ...]] = []
        dispute_rows: list[tuple[Any, ...]] = []
        span = 365 * 86400
        now_epoch = int(NOW.timestamp())
        recent = now_epoch - 30 * 86400
        chargeback, no_tags = json.dumps(["chargeback"]), json.dumps([])

        def order_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(orders):
                cid = rnd.randrange(customers) + 1
                at = now_epoch - rnd.randrange(span)
                total = rnd.randint(50, 6000) * 100
                # NOW has no microseconds: the stored text is the whole second and ".000000".
                at_s = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(at))
                cancelled = i % 97 == 0
                yield (i + 1, sid, cid, f"#{i + 1}", "web", "NOK", total, 0, 0, 0, total) + (
                    "cancelled" if cancelled else "open",
                    "paid",
                    "fulfilled",
                    "fraud" if cancelled else None,
                    f"c{cid - 1}@mail{(cid - 1) % 97}.example",
                    False,
                    chargeback if i % 50 == 0 else no_tags,
                    at_s,
                    at_s,
                )
                if i % 40 == 1:
                    later = time.gmtime(at + 7 * 86400)
                    day = time.strftime("%Y-%m-%d", later)
                    refund_rows.append(
                        (
                            i + 1,
                            total // 2,
                            "NOK",
                            "bench",
                            day,
                            day,
                            time.strftime("%Y-%m-%d %H:%M:%S.000000", later),
                        )
                    )
                if i % 150 == 3:
                    opened = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(at + 21 * 86400))
                    dispute_rows.append(("stripe", f"dp_{i}", sid, i + 1, cid, total, "NOK", "lost", opened))
                if at > recent:
                    n = cid - 1
                    for kind, value in (
                        ("email", f"c{n}@mail{n % 97}.example"),
                        ("card", f"card:411111:{n % 10000:04d}:{n}"),
                        ("device", f"dev-{n}"),
                    ):
                        vel_rows.append((sid, kind, digest(f"{kind}:{value}"), i + 1, total, at_s))

        _fill(
            s,
            Order.__table__,
            ["id", "shop_id", "customer_id", "number", "source", "currency", "subtotal", "shipping", "tax"]
            + ["discount", "total", "status", "financial_status", "fulfillment_status", "cancel_reason"]
            + ["email", "held", "tags", "created_at", "updated_at"],
            order_rows(),
        )
        _fill(s, VelocityEvent.__table__, ["shop_id", "kind", "key", "order_id", "amount", "at"], vel_rows)
        _fill(
            s,
            Refund.__table__,
            ["order_id", "amount", "currency", "actor", "expected_arrival_from", "expected_arrival_to"]
            + ["created_at"],
            refund_rows,
        )
        _fill(
            s,
            Dispute.__table__,
            ["gateway", "gateway_dispute_id", "shop_id", "order_id", "customer_id", "amount", "currency"]
            + ["status", "opened_at"],
            dispute_rows,
        )
        for table in bulk:
            for index in table.indexes:
                index.create(s.connection())
        if engine.dialect.name == "postgresql":  # ids were given: later inserts start after them
            for table in (Customer.__table__, Order.__table__):
                sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                s.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table.name}"))
        for i in range(rules):
            source = RULE_TEMPLATES[i % len(RULE_TEMPLATES)].format(n=5000 + i * 37, i=i, k=3 + i % 5)
            create_rule(s, name=f"bench rule {i}", source=source, shop_id=shop.id, actor=ACTOR)
        _, raw_key = create_api_key(s, name="bench", role=Role.owner, actor=ACTOR)
        s.commit()
        # The orders went in without the ORM: build the profiles checkout reads, as a load does.
        rebuild_profiles(s)
        s.execute(text("ANALYZE"))
        s.commit()
        info = {
            "shop_id": shop.id,
            "products": [(p.id, p.sku, p.price) for p in products],
            "key": raw_key,
            "customers": customers,
        }
    engine.dispose()
    return info


def _checkout(info: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    n = rnd.randrange(info["customers"])
    lines = [
        {"product_id": pid, "quantity": rnd.randint(1, 2)}
        for pid, _, _ in rnd.sample(info["products"], rnd.randint(1, 3))
    ]
    known = rnd.random() < 0.7
    return {
        "shop_id": info["shop_id"],
        "customer_id": n + 1 if known else None,
        "email": f"c{n}@mail{n % 97}.example" if known else f"guest{rnd.randrange(10**9)}@gmail.com",
        "phone": f"+47{40000000 + n}",
        "browser_ip": f"10.1.{n % 250}.{n % 200}",
        "device_id": f"dev-{n}",
        "payment_fingerprint": f"card:411111:{n % 10000:04d}:{n}",
        "shipping_address": {
            "address1": f"Storgata {n % 300}",
            "zip": f"{1000 + n % 8000}",
            "city": "Oslo",
            "country_code": "NO",
        },
        "lines": lines,
    }


def time_screen(url: str, info: dict[str, Any], count: int) -> list[float]:
    """Time in-process screen() of prospective orders; return each one's milliseconds, sorted."""
    from storeguard.core.api import Reader
    from storeguard.screening.engine import screen_at_checkout
    from storeguard.screening.schemas import ScreenOrderIn

    engine = make_engine(url)
    reader = Reader(engine, make_session_factory(engine))
    rnd = random.Random(11)
    bodies = [ScreenOrderIn.model_validate(_checkout(info, rnd)) for _ in range(count + 50)]
    samples = []
    for i, body in enumerate(bodies):
        # As POST /v1/screen does: the app's reader opens a read-only transaction (on SQLite, on the
        # connection its thread keeps), begun and rolled back inside the timing.
        t = time.perf_counter()
        with reader.open() as db:
            screen_at_checkout(db, body)
        elapsed = time.perf_counter() - t
        if i >= 50:  # the first calls compile the rule set and warm caches
            samples.append(elapsed * 1000)
    engine.dispose()
    samples.sort()
    return samples


def _quantile(samples: list[float], q: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * q))]


def checkout_figures(
    url: str, info: dict[str, Any], count: int, seconds: int, suffix: str = ""
) -> dict[str, float]:
    """Time screen() in process and POST /v1/screen over HTTP on one database; name figures with ``suffix``."""
    samples = time_screen(url, info, count)
    http = time_http(url, info, seconds)
    bare = http["bare"]
    figures = {
        "screen_p50_ms": round(statistics.median(samples), 3),
        "screen_p95_ms": round(_quantile(samples, 0.95), 3),
        "screen_p99_ms": round(_quantile(samples, 0.99), 3),
        "http_screen_rps": round(http["screen"], 1),
        "http_bare_rps": round(bare, 1),
        "http_screen_ratio": round(http["screen"] / bare, 3) if bare else 0.0,
        "http_checkout_floor_rps": round(http["floor"], 1),
        "http_checkout_floor_ratio": round(http["floor"] / bare, 3) if bare else 0.0,
        "http_load_by_wrk": 1.0 if http["tool"] == "wrk" else 0.0,
    }
    return {f"{name}{suffix}": value for name, value in figures.items()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wrk(url: str, seconds: int, script: Path | None) -> float:
    cmd = (
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"] + (["-s", str(script)] if script else []) + [url]
    )
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} failed requests during the load test:\n{out}")
    return float(match.group(1)) if match else 0.0


def _httpx_rps(url: str, requests: int, body: dict[str, Any] | None, headers: dict[str, str]) -> float:
    import asyncio

    import httpx

    async def go() -> float:
        async with httpx.AsyncClient(timeout=30) as client:
            sem = asyncio.Semaphore(32)

            async def one() -> None:
                async with sem:
                    r = await (client.post(url, json=body, headers=headers) if body else client.get(url))
                    r.raise_for_status()

            t = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(requests)))
            return requests / (time.perf_counter() - t)

    return asyncio.run(go())


def time_http(url: str, info: dict[str, Any], seconds: int) -> dict[str, Any]:
    """Start one uvicorn worker on the database; load the bare route, the checkout floor and /v1/screen.

    Returns the three rates (requests per second) and the load tool that drove them.
    """
    port = _free_port()
    env = {**os.environ, "STOREGUARD_DATABASE_URL": url, "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)])}
    env.pop("STOREGUARD_REDIS_URL", None)
    # Deliveries and the outbox are not what is measured, and their pass would compete for the CPU
    # (and make the server wait for it when it stops).
    env["STOREGUARD_BACKGROUND_WORK"] = "false"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.floor_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(200):
            try:
                if httpx.get(f"{base}/bench/bare", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {info['key']}", "Content-Type": "application/json"}
        body = _checkout(info, random.Random(5))
        warm = httpx.post(f"{base}/v1/screen", json=body, headers=headers, timeout=30)
        warm.raise_for_status()
        floor = httpx.post(f"{base}/bench/checkout-floor", json=body, headers=headers, timeout=30)
        floor.raise_for_status()
        if shutil.which("wrk"):
            tool = "wrk"
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
                lua.write('wrk.method = "POST"\n')
                lua.write(f"wrk.body = {json.dumps(json.dumps(body))}\n")
                for k, v in headers.items():
                    lua.write(f'wrk.headers["{k}"] = "{v}"\n')
            try:
                rates = {
                    "bare": _wrk(f"{base}/bench/bare", seconds, None),
                    "floor": _wrk(f"{base}/bench/checkout-floor", seconds, Path(lua.name)),
                    "screen": _wrk(f"{base}/v1/screen", seconds, Path(lua.name)),
                }
            finally:
                os.unlink(lua.name)
        else:
            tool = "httpx"
            print(
                "wrk not found (Debian: apt install wrk): the Python client below takes a core of its own, "
                "so the HTTP rates measure the client more than the server",
                file=sys.stderr,
            )
            rates = {
                "bare": _httpx_rps(f"{base}/bench/bare", 2000, None, {}),
                "floor": _httpx_rps(f"{base}/bench/checkout-floor", 2000, body, headers),
                "screen": _httpx_rps(f"{base}/v1/screen", 2000, body, headers),
            }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {**rates, "tool": tool}


BACKTEST_RULE = "block if order.total > 4000 and order.is_first_order"
# The customer's facts: refunds, chargebacks, cancellations and the account's age, as they stood at each order.
BACKTEST_CUSTOMER_RULE = (
    "block if customer.chargebacks > 0 and customer.refund_ratio > 0.1"
    " or customer.cancellations > 0 and customer.account_age_days < 400 and order.total > 5000"
)
# The profile facts: velocity per email, links to a blocked customer, the segment, a signal.
BACKTEST_PROFILE_RULE = (
    "review if velocity.orders_per_email_24h > 2 or linked.blocked_customers > 0"
    " or customer.segment == 'watch' and signals.has_chargebacks"
)


def time_backtest(
    url: str, info: dict[str, Any], source: str = BACKTEST_RULE, key: str = "backtest"
) -> float:
    """Run one rule over every order; return the seconds it took."""
    from storeguard.screening.backtest import backtest

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        t = time.perf_counter()
        result = backtest(
            session,
            shop_id=info["shop_id"],
            sources=[source],
            date_from=NOW - timedelta(days=400),
            date_to=NOW + timedelta(days=1),
        )
        elapsed = time.perf_counter() - t
    engine.dispose()
    info[key] = result.as_dict()
    return elapsed


def run(quick: bool = False) -> dict[str, float]:
    """Build the scaled store, then time screen(), HTTP throughput and a backtest; then the checkout on PostgreSQL."""
    scale = (20_000, 100_000, 100_000, 200) if quick else (200_000, 1_000_000, 1_000_000, 200)
    customers, entries, orders, rules = scale
    count, seconds = (300, 4) if quick else (2000, 10)
    load_average = os.getloadavg()[0]  # the machine's load when the run started: quote it with the figures
    with tempfile.TemporaryDirectory(prefix="sg-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t = time.perf_counter()
        info = build(url, customers=customers, entries=entries, orders=orders, rules=rules)
        build_s = time.perf_counter() - t
        figures = checkout_figures(url, info, count, seconds)
        backtest_s = time_backtest(url, info)
        customer_s = time_backtest(url, info, BACKTEST_CUSTOMER_RULE, "backtest_customer_facts")
        profile_s = time_backtest(url, info, BACKTEST_PROFILE_RULE, "backtest_profile_facts")
    with scratch_postgres() as pg:
        t = time.perf_counter()
        pg_info = build(pg, customers=customers, entries=entries, orders=orders, rules=rules)
        figures["screen_bench_build_s_postgres"] = round(time.perf_counter() - t, 1)
        figures |= checkout_figures(pg, pg_info, count, seconds, "_postgres")
    # The names issue 16 states its targets in: PostgreSQL's in-process screening and its median
    # over SQLite's, both measured above in this run.
    figures |= {
        "screen_pg_p50_ms": figures["screen_p50_ms_postgres"],
        "screen_pg_p99_ms": figures["screen_p99_ms_postgres"],
        "screen_pg_over_sqlite_p50": round(figures["screen_p50_ms_postgres"] / figures["screen_p50_ms"], 2),
        "screen_load_average": round(load_average, 2),
    }
    figures |= {
        "backtest_orders": float(orders),
        "backtest_1m_orders_s" if not quick else "backtest_quick_orders_s": round(backtest_s, 3),
        "backtest_1m_customer_facts_s" if not quick else "backtest_quick_customer_facts_s": round(
            customer_s, 3
        ),
        "backtest_1m_profile_facts_s" if not quick else "backtest_quick_profile_facts_s": round(profile_s, 3),
        "screen_bench_list_entries": float(entries),
        "screen_bench_identifier_rows": float(customers * 5),
        "screen_bench_rules": float(rules),
        "screen_bench_build_s": round(build_s, 1),
    }
    shown = {k: info[k] for k in ("backtest", "backtest_customer_facts", "backtest_profile_facts")}
    print(json.dumps(shown, indent=None), file=sys.stderr)
    return figures


if __name__ == "__main__":
    figures = run(quick="--quick" in sys.argv)
    print(json.dumps(figures, indent=2))
    out = ROOT / "bench" / "results" / "latest.json"
    current = json.loads(out.read_text()) if out.exists() else {}
    current.update(figures)
    out.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
