"""How fast the demo store loads into a fresh SQLite file: generation plus bulk insert, end to end."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def run(quick: bool = False) -> dict[str, float]:
    """Load the demo store (20,000 orders; 2,000 when quick) into a temporary SQLite file."""
    from storeguard.core.db import Base, make_engine, make_session_factory
    from storeguard.demo.generator import DemoConfig, generate
    from storeguard.demo.loader import load_demo
    from storeguard.models import import_all_models

    customers, orders = (800, 2_000) if quick else (8_000, 20_000)
    config = DemoConfig(customers=customers, orders=orders, seed=1)
    import_all_models()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(engine)
        started = time.perf_counter()
        with make_session_factory(engine)() as session:
            load_demo(session, config)
            session.commit()
        load_seconds = time.perf_counter() - started
        engine.dispose()
    started = time.perf_counter()
    generate(config, shop_id=1, now=datetime.now(UTC))
    generate_seconds = time.perf_counter() - started
    return {
        "demo_load_orders_per_s_sqlite": round(orders / load_seconds, 1),
        "demo_load_seconds_sqlite": round(load_seconds, 2),
        "demo_generate_orders_per_s": round(orders / generate_seconds, 1),
    }
