"""``storeguard demo --seed`` draws the same store in every process, whenever it is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from storeguard.demo.loader import shift_times

# Loads a small demo into a new SQLite file and prints a digest of what a person would compare.
SCRIPT = """
import hashlib, sys
from datetime import UTC, datetime
from sqlalchemy import text
from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine, make_session_factory
from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.models import import_all_models

import_all_models()
get_settings().secret_key = "demo-test"
engine = make_engine("sqlite:///" + sys.argv[1])
Base.metadata.create_all(engine)
with make_session_factory(engine)() as session:
    load_demo(session, DemoConfig(customers=60, orders=150, seed=5), now=datetime.fromisoformat(sys.argv[2]))
    session.commit()
    queries = [
        "select id, email, first_name, last_name, phone from customers order by id",
        "select id, number, total, email, customer_id, browser_ip from orders order by id",
        "select customer_id, type, value from identifiers order by customer_id, type, value",
        "select type, value, action, reason_code from list_entries order by type, value",
    ]
    print(hashlib.sha256(repr([session.execute(text(q)).all() for q in queries]).encode()).hexdigest())
"""


def _digest(tmp_path: Path, name: str, hash_seed: str, now: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "STOREGUARD_DATA_DIR": str(tmp_path / name)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / f"{name}.db"), now],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip().splitlines()[-1]


def test_one_seed_is_one_store_across_processes_and_load_times(tmp_path: Path) -> None:
    first = _digest(tmp_path, "first", "1", "2026-03-02T09:15:00+00:00")
    second = _digest(tmp_path, "second", "2", "2026-11-28T23:59:30+00:00")

    assert first == second


def test_shifting_moves_times_by_the_offset_and_dates_by_whole_days() -> None:
    rows = {"orders": [{"created_at": datetime(2026, 1, 5, 12, tzinfo=UTC), "due": date(2026, 1, 9), "n": 3}]}

    shift_times(rows, timedelta(days=2, hours=13))

    assert rows["orders"] == [
        {"created_at": datetime(2026, 1, 8, 1, tzinfo=UTC), "due": date(2026, 1, 12), "n": 3}
    ]
