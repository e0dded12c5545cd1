"""How fast the list matcher answers with one million entries and one million identifier rows.

Builds a scratch SQLite database with bulk inserts, then times ``storeguard.lists.matching.match``
in-process on a mix of checkouts: new shoppers, returning customers, and hits (direct, through a
linked customer, and in a blocked IP range). Figures: ``match_median_us``, ``match_p99_us`` and the
build time. ``quick`` uses 100,000 of each.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.db import Base, make_engine
from storeguard.models import import_all_models

SEED = 20251122
LOOKUPS = 3000
WARMUP = 300


def _sharing(c: int) -> int:
    """Every twentieth customer shares a device with the one before: links exist at scale."""
    return c - 1 if c % 20 == 1 and c > 1 else c


def _ident(c: int) -> list[tuple[str, str]]:
    return [
        ("email", f"c{c}@example.com"),
        ("phone", f"+4790{c:06d}"),
        ("device_id", f"dev-{_sharing(c):07d}"),
        ("payment_fingerprint", f"card:{40_000_000 + c:08d}:{c % 10000:04d}:{c % 12 + 1:02d}27"),
    ]


def _build(session: Session, n: int) -> dict[str, Any]:
    """Bulk-load one shop with n entries and n identifier rows through the driver's executemany."""
    from storeguard.customers.models import Customer
    from storeguard.lists.actions import bump_version
    from storeguard.lists.policy import dedupe_key, scope_json

    connection = session.connection()
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    stamp = Customer.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    at = stamp(datetime(2025, 1, 1, tzinfo=UTC)) if stamp else datetime(2025, 1, 1, tzinfo=UTC)
    raw.execute(
        "INSERT INTO shops (id, name, domain, platform, currency, country, created_at, settings) "
        "VALUES (1, 'Bench', 'bench.example', 'other', 'NOK', 'NO', ?, '{}')",
        (at,),
    )
    customers = n // 4  # four identifiers each: email, phone, device, card
    raw.executemany(
        "INSERT INTO customers (id, shop_id, email, first_name, last_name, locale, state, cluster_id, tags, "
        "created_at, updated_at) VALUES (?, 1, ?, '', '', 'en', 'enabled', ?, '[]', ?, ?)",
        [(c, f"c{c}@example.com", _sharing(c), at, at) for c in range(1, customers + 1)],
    )
    raw.executemany(
        "INSERT INTO identifiers (shop_id, customer_id, type, value, display, source, first_seen, last_seen) "
        "VALUES (1, ?, ?, ?, ?, 'order', ?, ?)",
        ((c, kind, value, value, at, at) for c in range(1, customers + 1) for kind, value in _ident(c)),
    )

    # Entries: every 50th customer is blocked (customer + identifiers); the rest are list imports
    # of identifiers nobody here has used, plus a few hundred IP ranges and some countries.
    blocked = list(range(10, customers + 1, 50))
    everything = scope_json({"kind": "everything"})
    evidence = json.dumps({"notes": ["bench"]})

    def entry(kind: str, value: str, customer_id: int | None = None) -> tuple[Any, ...]:
        key = dedupe_key("block", kind, value, "block", everything)
        return (kind, value, value, customer_id, everything, evidence, at, at, key)

    def entries() -> Iterator[tuple[Any, ...]]:
        made = 0
        for c in blocked:
            yield entry("customer", str(c), c)
            made += 1
            for kind, value in _ident(c):
                yield entry(kind, value, c)
                made += 1
        for i in range(300):
            yield entry("cidr", f"10.{i // 256}.{i % 256}.0/24")
        for country in ("KP", "IR", "SY"):
            yield entry("country", country)
        made += 303
        i = 0
        while made < n:
            i += 1
            kind = ("email", "phone", "device_id", "payment_fingerprint", "ip")[i % 5]
            value = {
                "email": f"listed{i}@spam.example",
                "phone": f"+4740{i:07d}",
                "device_id": f"ldev-{i}",
                "payment_fingerprint": f"fp:listed{i}",
                "ip": f"172.{16 + (i >> 16) % 16}.{(i >> 8) % 256}.{i % 256}",
            }[kind]
            yield entry(kind, value)
            made += 1

    raw.executemany(
        "INSERT INTO list_entries (shop_id, kind, type, value, display, customer_id, scope, action, reason_code, "
        "evidence, created_by, created_at, updated_at, status, dedupe_key) "
        "VALUES (1, 'block', ?, ?, ?, ?, ?, 'block', 'fraud', ?, 'bench', ?, ?, 'active', ?)",
        entries(),
    )
    bump_version(session, 1)
    session.commit()
    return {"customers": customers, "blocked": blocked, "ident": _ident}


def _lookups(world: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    customers, blocked, ident = world["customers"], world["blocked"], world["ident"]
    out = []
    for i in range(LOOKUPS + WARMUP):
        roll = rng.random()
        if roll < 0.6:  # a new shopper nobody has seen
            keys = [
                ("email", f"new{i}@example.org"),
                ("email_domain", "example.org"),
                ("phone", f"+4799{i:06d}"),
                ("device_id", f"nd-{i}"),
                ("ip", f"192.0.{i % 256}.{i % 200}"),
                ("country", "NO"),
            ]
            out.append({"identifiers": keys, "customer_id": None})
        elif roll < 0.85:  # a returning customer
            c = rng.randrange(1, customers + 1)
            out.append(
                {"identifiers": [*ident(c), ("ip", "198.51.100.7"), ("country", "NO")], "customer_id": c}
            )
        elif roll < 0.93:  # a new account on a blocked customer's phone
            c = rng.choice(blocked)
            out.append(
                {"identifiers": [("email", f"again{i}@example.org"), ident(c)[1]], "customer_id": None}
            )
        else:  # a checkout from a blocked IP range
            out.append(
                {
                    "identifiers": [("email", f"x{i}@example.org"), ("ip", f"10.0.{i % 256}.9")],
                    "customer_id": None,
                }
            )
    return out


def run(quick: bool = False) -> dict[str, float]:
    """Build the lists, time the lookups, and return the figures."""
    from storeguard.lists.matching import match

    import_all_models()
    n = 100_000 if quick else 1_000_000
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            started = time.perf_counter()
            world = _build(session, n)
            build_s = time.perf_counter() - started
            lookups = _lookups(world, rng)
            timings: list[float] = []
            hits = 0
            for i, lookup in enumerate(lookups):
                t0 = time.perf_counter_ns()
                result = match(session, shop_id=1, **lookup)
                elapsed = (time.perf_counter_ns() - t0) / 1000
                if i >= WARMUP:
                    timings.append(elapsed)
                    hits += bool(result.matches)
        engine.dispose()
    timings.sort()
    return {
        "match_median_us": round(statistics.median(timings), 1),
        "match_p99_us": round(timings[int(len(timings) * 0.99) - 1], 1),
        "match_entries": float(n),
        "match_identifier_rows": float(world["customers"] * 4),
        "match_hit_share": round(hits / len(timings), 3),
        "match_build_s": round(build_s, 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
