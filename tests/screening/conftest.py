"""Fixtures for screening tests: a velocity store of each kind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from storeguard.screening.velocity_redis import RedisVelocity

REDIS_URL = os.environ.get("STOREGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_store() -> Iterator[RedisVelocity]:
    """A Redis velocity store under a key prefix of its own, removed afterwards."""
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


@pytest.fixture(params=["sql", "redis"])
def velocity(request: pytest.FixtureRequest):  # noqa: ANN201 - a VelocityStore
    """Each velocity store in turn."""
    if request.param == "redis":
        return request.getfixturevalue("redis_store")
    from storeguard.screening.velocity_sql import SqlVelocity

    return SqlVelocity()
