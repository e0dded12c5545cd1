"""How long ``storeguard lists import`` takes for one million CSV rows (target: under a minute).

Writes a CSV with a realistic mix (emails, phones, devices, cards, IPs, a few IP ranges), imports it
into a scratch SQLite database through the same code the command uses, then imports it again to
time the idempotent pass. ``quick`` uses 100,000 rows. The box is shared, so CPU seconds and
the load average at the end are recorded beside the wall-clock times.
"""

from __future__ import annotations

import csv
import os
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from storeguard.core.actor import CLI
from storeguard.core.db import Base, make_engine
from storeguard.models import import_all_models


def _write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["kind", "type", "value", "action", "reason_code", "evidence_notes"])
        for i in range(rows):
            slot = i % 100
            if slot < 40:
                kind, value = "email", f"Person.{i}+tag@Example{i % 50}.com"
            elif slot < 60:
                kind, value = "phone", f"+47 4{i % 10_000_000:07d}"
            elif slot < 80:
                kind, value = "device_id", f"dev-{i:08x}"
            elif slot < 90:
                kind, value = "payment_fingerprint", f"fp_{i:010d}"
            elif slot < 99:
                kind, value = "ip", f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
            else:
                kind, value = "cidr", f"172.{16 + i % 16}.{i // 256 % 256}.0/24"
            writer.writerow(
                ["block", kind, value, "review" if slot % 3 else "block", "fraud", "old blocklist"]
            )


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes), user and system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(quick: bool = False) -> dict[str, float]:
    """Import the file twice and return the seconds (wall-clock and CPU) each pass took."""
    from storeguard.lists.csvio import import_entries, read_csv
    from storeguard.shops.models import Shop

    import_all_models()
    rows = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entries.csv"
        _write_csv(path, rows)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(
                Shop(id=1, name="Bench", domain="bench.example", currency="NOK", country="NO", settings={})
            )
            session.commit()
            timings, cpu = [], []
            for _ in range(2):
                started, cpu_started = time.perf_counter(), _cpu_seconds()
                with path.open(newline="", encoding="utf-8") as stream:
                    result = import_entries(session, read_csv(stream), shop_id=1, actor=CLI, source=path.name)
                session.commit()
                timings.append(time.perf_counter() - started)
                cpu.append(_cpu_seconds() - cpu_started)
                assert not result.errors, result.errors[:3]
        engine.dispose()
    key = "lists_import_1m_s" if not quick else "lists_import_100k_s"
    return {
        key: round(timings[0], 1),
        f"{key.removesuffix('_s')}_again_s": round(timings[1], 1),
        f"{key.removesuffix('_s')}_cpu_s": round(cpu[0], 1),
        f"{key.removesuffix('_s')}_again_cpu_s": round(cpu[1], 1),
        "lists_import_load_average": round(os.getloadavg()[0], 2),
        "lists_import_rows": float(rows),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
