"""Velocity counts kept in Redis, against the real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.screening.velocity import RedisVelocity

REDIS_URL = os.environ.get("STOREGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[RedisVelocity]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("STOREGUARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"sgtest:{uuid.uuid4().hex[:10]}"
    yield RedisVelocity(client, prefix=prefix)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def _place(session: Session, store: RedisVelocity, order_id: int, at: datetime, amount: int = 1000) -> None:
    store.record(
        session, 1, {"email": "a@x.com", "card": "411111:1111"}, order_id=order_id, amount=amount, at=at
    )


def test_redis_velocity_counts_orders_in_each_window(session: Session, store: RedisVelocity) -> None:
    # given orders 10 minutes, 5 hours, 3 days and 20 days ago, and one 40 days ago
    for i, ago in enumerate(
        [timedelta(minutes=10), timedelta(hours=5), timedelta(days=3), timedelta(days=20)]
    ):
        _place(session, store, i + 1, T0 - ago, amount=1000 * (i + 1))
    session.commit()
    with frozen(T0):
        counts = store.counts(session, 1, {"email": "a@x.com", "card": "411111:1111", "ip": "1.2.3.4"})
    assert [counts.order_count("email", w) for w in ("1h", "24h", "7d", "30d")] == [1, 2, 3, 4]
    assert counts.order_count("ip", "30d") == 0
    assert counts.amount("card", "24h") == 3000
    assert counts.amount("card", "7d") == 6000


def test_redis_velocity_records_nothing_when_the_transaction_rolls_back(
    session: Session, store: RedisVelocity
) -> None:
    _place(session, store, 7, T0 - timedelta(minutes=1))
    session.rollback()
    session.commit()
    assert store.counts(session, 1, {"email": "a@x.com"}, at=T0).order_count("email", "1h") == 0


def test_redis_velocity_never_counts_the_order_being_screened(session: Session, store: RedisVelocity) -> None:
    _place(session, store, 8, T0)
    session.commit()
    counts = store.counts(session, 1, {"email": "a@x.com"}, at=T0, exclude_order_id=8)
    assert counts.order_count("email", "1h") == 0
    assert counts.amount("email", "24h") == 0


def test_redis_velocity_is_per_shop(session: Session, store: RedisVelocity) -> None:
    _place(session, store, 9, T0 - timedelta(minutes=1))
    session.commit()
    assert store.counts(session, 2, {"email": "a@x.com"}, at=T0).order_count("email", "1h") == 0
