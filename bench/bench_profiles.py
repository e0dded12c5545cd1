"""Customer profiles: what keeping them current costs an order write, what reading one saves a
checkout screening, and how long a full verify and rebuild take. On SQLite and on a scratch
PostgreSQL database, in one run.

The store is bench_risk's (bench_screen's customers, orders and list entries, each order with
lines, a fee, deliveries, refunds, returns and disputes) at 5,000 customers and 50,000 orders.

Run alone with ``PYTHONPATH=src python -m bench.bench_profiles [--quick]``; it merges its figures
into bench/results/latest.json.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from bench.__main__ import main  # noqa: E402
from bench.bench_risk import add_history, known_customer_order  # noqa: E402
from bench.bench_screen import _checkout, build  # noqa: E402
from bench.scratch import on_both_databases  # noqa: E402
from storeguard.core.db import make_engine, make_session_factory  # noqa: E402


def time_order_writes(url: str, info: dict[str, Any], count: int) -> dict[str, float]:
    """Place orders through ``create_order`` (committed, as the API does), with the profile kept and
    not, alternating; and time the profile's refresh itself inside the kept ones. Milliseconds."""
    from storeguard.core.actor import Actor
    from storeguard.core.enums import Role
    from storeguard.orders.actions import create_order
    from storeguard.risk import freshness
    from storeguard.screening import profiles

    actor = Actor("cli", "bench", Role.owner)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rnd = random.Random(5)
    refreshes: list[float] = []
    refresh = profiles.refresh_profile

    def timed_refresh(session: Any, customer_id: int) -> None:
        t = time.perf_counter()
        refresh(session, customer_id)
        refreshes.append((time.perf_counter() - t) * 1000)

    profiles.refresh_profile = timed_refresh  # type: ignore[assignment]
    kept, unkept = [], []
    try:
        for i in range(count + 20):
            data = known_customer_order(info, rnd)
            keeping = i % 2 == 0
            if not keeping:
                freshness.after_history_written.remove(profiles._keep_current)
            try:
                with factory() as s:
                    t = time.perf_counter()
                    create_order(s, actor=actor, data=data)
                    s.commit()
                    elapsed = (time.perf_counter() - t) * 1000
            finally:
                if not keeping:
                    freshness.after_history_written.append(profiles._keep_current)
            if i >= 20:  # warm-up: statements compiled, caches filled
                (kept if keeping else unkept).append(elapsed)
    finally:
        profiles.refresh_profile = refresh  # type: ignore[assignment]
    engine.dispose()
    return {
        "order_write_median_ms_kept": statistics.median(kept),
        "order_write_median_ms_unkept": statistics.median(unkept),
        "profile_refresh_median_ms": statistics.median(refreshes[10:]),
    }


def time_screen_profile_and_aggregate(url: str, info: dict[str, Any], count: int) -> tuple[float, float]:
    """Median in-process screen() of checkouts (70 % known customers) reading the kept profile and
    aggregating the history instead, in alternating blocks of 100; milliseconds."""
    from storeguard.core.api import Reader
    from storeguard.screening import reads
    from storeguard.screening.engine import screen
    from storeguard.screening.inputs import from_screen_in
    from storeguard.screening.schemas import ScreenOrderIn

    real = reads._history_run

    def aggregate(*args: Any) -> Any:
        params, (known, address, as_of, _) = real(*args)
        return {**params, "exclude_order_id": 0}, (known, address, as_of, False)

    variants = {"profile": real, "aggregate": aggregate}
    engine = make_engine(url)
    reader = Reader(engine, make_session_factory(engine))
    rnd = random.Random(11)
    bodies = [ScreenOrderIn.model_validate(_checkout(info, rnd)) for _ in range(count)]
    samples: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for block in range(0, count, 100):
            for name, run_of in variants.items():
                reads._history_run = run_of  # type: ignore[assignment]
                for i, body in enumerate(bodies[block : block + 100]):
                    t = time.perf_counter()
                    with reader.open() as db:
                        screen(db, from_screen_in(db, body))
                    if block or i >= 20:
                        samples[name].append((time.perf_counter() - t) * 1000)
    finally:
        reads._history_run = real  # type: ignore[assignment]
    engine.dispose()
    return statistics.median(samples["profile"]), statistics.median(samples["aggregate"])


def time_verify_and_rebuild(url: str) -> tuple[float, float, int]:
    """Seconds of a full ``verify_profiles`` and ``rebuild_profiles`` (committed), and disagreements."""
    from storeguard.screening.profiles import rebuild_profiles, verify_profiles

    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        t = time.perf_counter()
        wrong = verify_profiles(s)
        verify_s = time.perf_counter() - t
        s.rollback()
        t = time.perf_counter()
        rebuild_profiles(s)
        rebuild_s = time.perf_counter() - t
    engine.dispose()
    return verify_s, rebuild_s, len(wrong)


def measure(url: str, customers: int, orders: int, quick: bool) -> dict[str, float]:
    t = time.perf_counter()
    info = build(url, customers=customers, entries=customers * 5, orders=orders, rules=50)
    add_history(url, info)
    build_s = time.perf_counter() - t
    # Verified first: the writes below leave the profiles of those made without upkeep behind.
    verify_s, rebuild_s, wrong = time_verify_and_rebuild(url)
    screen_profile, screen_aggregate = time_screen_profile_and_aggregate(url, info, 600 if quick else 2000)
    writes = time_order_writes(url, info, 60 if quick else 400)
    kept, unkept = writes["order_write_median_ms_kept"], writes["order_write_median_ms_unkept"]
    return {
        "profiles_bench_build_s": round(build_s, 1),
        "order_write_median_ms_profile_kept": round(kept, 3),
        "order_write_median_ms_profile_unkept": round(unkept, 3),
        "order_write_profile_ratio": round(kept / unkept, 3),
        "profile_refresh_median_ms": round(writes["profile_refresh_median_ms"], 3),
        "screen_p50_ms_profile": round(screen_profile, 3),
        "screen_p50_ms_aggregate": round(screen_aggregate, 3),
        "screen_p50_profile_over_aggregate": round(screen_profile / screen_aggregate, 3),
        "profiles_verify_s": round(verify_s, 2),
        "profiles_rebuild_s": round(rebuild_s, 2),
        "profiles_disagreeing": float(wrong),
    }


def run(quick: bool = False) -> dict[str, float]:
    """5,000 customers and 50,000 orders (1,000 and 10,000 when quick), on SQLite then PostgreSQL."""
    customers, orders = (1_000, 10_000) if quick else (5_000, 50_000)
    return on_both_databases("profiles_bench", measure, customers, orders, quick)


if __name__ == "__main__":
    main(["profiles", *sys.argv[1:]])
