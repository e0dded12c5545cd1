"""Velocity counts: the same answers from the database and from the real Redis server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.core.config import get_settings
from storeguard.screening.counters import velocity_store
from storeguard.screening.policy import WINDOWS
from storeguard.screening.velocity import VelocityStore
from storeguard.screening.velocity_redis import RedisVelocity
from storeguard.screening.velocity_sql import SqlVelocity

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
KEYS = {"email": "a@x.com", "card": "411111:1111"}
EVERY_KIND = {
    "email": "a@x.com",
    "phone": "+4791234567",
    "ip": "81.0.12.1",
    "device": "dev-77",
    "card": "411111:1111",
    "address": "no|0155|storgata 1",
}


def _place(session: Session, store: VelocityStore, order_id: int, at: datetime, amount: int = 1000) -> None:
    store.record(session, 1, KEYS, order_id=order_id, amount=amount, at=at)


def _place_one_per_window(session: Session, store: VelocityStore, keys: dict[str, str]) -> None:
    """Place orders of 10, 20, 30, 40 and 50.00, 10 minutes, 5 hours, 3, 20 and 40 days before T0."""
    agos = [
        timedelta(minutes=10),
        timedelta(hours=5),
        timedelta(days=3),
        timedelta(days=20),
        timedelta(days=40),
    ]
    for i, ago in enumerate(agos):
        store.record(session, 1, keys, order_id=i + 1, amount=1000 * (i + 1), at=T0 - ago)
    session.commit()


def test_velocity_counts_orders_and_amounts_in_each_window(session: Session, velocity: VelocityStore) -> None:
    _place_one_per_window(session, velocity, KEYS)
    with frozen(T0):
        counts = velocity.counts(session, 1, {**KEYS, "ip": "1.2.3.4"})
    assert [counts.order_count("email", w) for w in ("1h", "24h", "7d", "30d")] == [1, 2, 3, 4]
    assert counts.order_count("ip", "30d") == 0
    assert counts.amount("card", "24h") == 3000
    assert counts.amount("card", "7d") == 6000


def test_velocity_sums_amounts_for_every_kind_in_every_window(
    session: Session, velocity: VelocityStore
) -> None:
    _place_one_per_window(session, velocity, EVERY_KIND)
    counts = velocity.counts(session, 1, EVERY_KIND, at=T0)
    for kind in EVERY_KIND:
        assert [counts.amount(kind, w) for w in WINDOWS] == [1000, 3000, 6000, 10000], kind
        assert [counts.order_count(kind, w) for w in WINDOWS] == [1, 2, 3, 4], kind


def test_velocity_sums_each_identifier_apart(session: Session, velocity: VelocityStore) -> None:
    velocity.record(session, 1, EVERY_KIND, order_id=1, amount=1000, at=T0 - timedelta(minutes=5))
    velocity.record(session, 1, {"device": "dev-77"}, order_id=2, amount=500, at=T0 - timedelta(minutes=4))
    velocity.record(session, 1, {"device": "dev-88"}, order_id=3, amount=700, at=T0 - timedelta(minutes=3))
    session.commit()
    counts = velocity.counts(session, 1, EVERY_KIND, at=T0)
    assert (counts.amount("device", "1h"), counts.amount("phone", "1h")) == (1500, 1000)
    assert counts.order_count("device", "30d") == 2


def test_velocity_window_slides_with_the_clock(session: Session, velocity: VelocityStore) -> None:
    _place(session, velocity, 1, T0)
    session.commit()
    with frozen(T0 + timedelta(minutes=59)):
        assert velocity.counts(session, 1, KEYS).order_count("email", "1h") == 1
    with frozen(T0 + timedelta(minutes=61)):
        assert velocity.counts(session, 1, KEYS).order_count("email", "1h") == 0
        assert velocity.counts(session, 1, KEYS).order_count("email", "24h") == 1


def test_velocity_records_nothing_when_the_transaction_rolls_back(
    session: Session, velocity: VelocityStore
) -> None:
    _place(session, velocity, 7, T0 - timedelta(minutes=1))
    session.rollback()
    session.commit()
    assert velocity.counts(session, 1, KEYS, at=T0).order_count("email", "1h") == 0


def test_velocity_never_counts_the_order_being_screened(session: Session, velocity: VelocityStore) -> None:
    _place(session, velocity, 8, T0 - timedelta(seconds=5))
    session.commit()
    counts = velocity.counts(session, 1, KEYS, at=T0, exclude_order_id=8)
    assert (counts.amount("email", "24h"), counts.order_count("email", "1h")) == (0, 0)
    assert velocity.counts(session, 1, KEYS, at=T0 - timedelta(seconds=5)).order_count("email", "1h") == 0


def test_velocity_is_per_shop(session: Session, velocity: VelocityStore) -> None:
    _place(session, velocity, 9, T0 - timedelta(minutes=1))
    session.commit()
    assert velocity.counts(session, 2, KEYS, at=T0).order_count("email", "1h") == 0


def test_redis_velocity_keys_hold_a_hash_not_the_identifier(redis_store: RedisVelocity) -> None:
    key = redis_store.key(1, "email", "a@x.com")
    assert "a@x.com" not in key and key.startswith(redis_store.prefix)


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read again from the environment the test sets, and as they were afterwards."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_velocity_store_is_redis_when_a_redis_url_is_set(fresh_settings: pytest.MonkeyPatch) -> None:
    # Making the client opens no connection, so no server needs to answer at this address.
    fresh_settings.setenv("STOREGUARD_REDIS_URL", "redis://velocity.example:6380/3")
    store = velocity_store()
    assert isinstance(store, RedisVelocity)
    pool = store.client.connection_pool.connection_kwargs
    assert (pool["host"], pool["port"], pool["db"]) == ("velocity.example", 6380, 3)
    assert velocity_store() is store  # one client (and its connection pool) per URL


def test_velocity_store_is_the_database_when_no_redis_url_is_set(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.delenv("STOREGUARD_REDIS_URL", raising=False)
    store = velocity_store()
    assert isinstance(store, SqlVelocity)
    assert velocity_store() is store
