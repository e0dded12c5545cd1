"""Which velocity counters this process uses: Redis when a URL is set, else the database."""

from __future__ import annotations

from functools import lru_cache

import redis

from storeguard.core.config import get_settings
from storeguard.screening.velocity import VelocityStore
from storeguard.screening.velocity_redis import RedisVelocity
from storeguard.screening.velocity_sql import SqlVelocity


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisVelocity:
    return RedisVelocity(redis.Redis.from_url(url))


def velocity_store() -> VelocityStore:
    """Return Redis counters when STOREGUARD_REDIS_URL is set, else counts from the database."""
    url = get_settings().redis_url
    if url:
        return _redis_store(url)
    return _sql_store()


@lru_cache(maxsize=1)
def _sql_store() -> VelocityStore:
    return SqlVelocity()
