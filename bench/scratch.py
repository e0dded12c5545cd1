"""A scratch PostgreSQL database for a benchmark: created empty, dropped after, whatever happens."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("STOREGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, and drop it after."""
    base = make_url(PG_URL)
    name = f"sg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_both_databases(
    prefix: str,
    measure: Callable[[str, int, int, bool], dict[str, float]],
    customers: int,
    orders: int,
    quick: bool,
) -> dict[str, float]:
    """Run ``measure(url, customers, orders, quick)`` on a temporary SQLite file, then on a scratch
    PostgreSQL database, and name each figure for its database, with the load average around both."""
    figures: dict[str, float] = {f"{prefix}_load_average": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix=f"sg-bench-{prefix}-") as tmp:
        sqlite = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", customers, orders, quick)
    figures |= {f"{name}_sqlite": value for name, value in sqlite.items()}
    print(json.dumps(sqlite), file=sys.stderr)  # told at once: the PostgreSQL half takes as long again
    with scratch_postgres() as pg:
        postgres = measure(pg, customers, orders, quick)
    figures |= {f"{name}_postgres": value for name, value in postgres.items()}
    figures[f"{prefix}_orders"] = float(orders)
    figures[f"{prefix}_load_average_after"] = round(os.getloadavg()[0], 2)
    return figures
