"""Velocity: orders and amounts per identifier over sliding windows, from SQL or from Redis.

Both stores answer the same question, "how many orders (and how much money) did this email,
phone, IP, device, card or address place in the last hour, day, week and month, before this
order", so counts stay right when several workers screen at once: the counts live in the
database or in Redis, never in a worker's memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.prepared import Driver
from storeguard.screening.policy import VELOCITY_KINDS, WINDOWS

# kind (email, phone, ip, device, card, address) -> the normalized identifier value
VelocityKeys = dict[str, str]


@dataclass(slots=True)
class VelocityCounts:
    """Orders per kind and window, and amounts (minor units) per kind and window."""

    orders: dict[tuple[str, str], int] = field(default_factory=dict)
    amounts: dict[tuple[str, str], int] = field(default_factory=dict)

    def order_count(self, kind: str, window: str) -> int:
        return self.orders.get((kind, window), 0)

    def amount(self, kind: str, window: str) -> int:
        return self.amounts.get((kind, window), 0)


class VelocityStore(Protocol):
    """Where velocity counts come from."""

    def counts(
        self,
        session: Session | Driver,
        shop_id: int,
        keys: VelocityKeys,
        *,
        at: datetime | None = None,
        exclude_order_id: int | None = None,
    ) -> VelocityCounts: ...

    def record(
        self,
        session: Session,
        shop_id: int,
        keys: VelocityKeys,
        *,
        order_id: int,
        amount: int,
        at: datetime | None = None,
    ) -> None: ...


def digest(value: str) -> str:
    """Return the short hash an identifier is counted under."""
    # Keys hold a hash, not the email or card itself: Redis is not where personal data lives.
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


class RedisVelocity:
    """Sorted sets per identifier: member ``order_id:amount``, score the order's time in seconds."""

    retention = max(WINDOWS.values())  # the longest window: older members are never counted

    def __init__(self, client: Any, prefix: str = "sg:vel") -> None:
        self.client = client
        self.prefix = prefix

    def key(self, shop_id: int, kind: str, value: str) -> str:
        """Return the Redis key for one identifier."""
        return f"{self.prefix}:{shop_id}:{kind}:{digest(value)}"

    def counts(
        self,
        session: Session | Driver,
        shop_id: int,
        keys: VelocityKeys,
        *,
        at: datetime | None = None,
        exclude_order_id: int | None = None,
    ) -> VelocityCounts:
        """Count and sum in one pipeline round trip: the members of each identifier's last 30 days."""
        ts = (at or now()).timestamp()
        present = [(k, v) for k, v in keys.items() if v and k in VELOCITY_KINDS]
        result = VelocityCounts()
        if not present:
            return result
        pipe = self.client.pipeline(transaction=False)
        for kind, value in present:
            # Strictly before ``at``: the order being screened is never its own velocity.
            pipe.zrangebyscore(
                self.key(shop_id, kind, value), f"({ts - self.retention}", f"({ts}", withscores=True
            )
        skip = str(exclude_order_id) if exclude_order_id is not None else None
        orders, amounts = result.orders, result.amounts
        for (kind, _), answer in zip(present, pipe.execute(), strict=True):
            for w in WINDOWS:
                orders[(kind, w)] = amounts[(kind, w)] = 0
            # Every window's sum needs the members anyway, so the counts come from them too
            # (and leave the excluded order out, as the SQL store does).
            for member, score in answer:
                order_id, _, amount = (member.decode() if isinstance(member, bytes) else member).partition(
                    ":"
                )
                if order_id == skip:
                    continue
                for w, seconds in WINDOWS.items():
                    if score > ts - seconds:
                        orders[(kind, w)] += 1
                        amounts[(kind, w)] += int(amount)
        return result

    def record(
        self,
        session: Session,
        shop_id: int,
        keys: VelocityKeys,
        *,
        order_id: int,
        amount: int,
        at: datetime | None = None,
    ) -> None:
        """Add the order to its identifiers' sets once the transaction commits, never before."""
        ts = (at or now()).timestamp()
        session.connection()  # make sure a transaction is open, so its rollback drops these
        pending: list[tuple[str, str, float]] = session.info.setdefault("sg_velocity_pending", [])
        for kind, value in keys.items():
            if value and kind in VELOCITY_KINDS:
                pending.append((self.key(shop_id, kind, value), f"{order_id}:{amount}", ts))
        if not session.info.get("sg_velocity_hooked"):
            session.info["sg_velocity_hooked"] = True
            event.listen(session, "after_commit", self._flush_pending)
            event.listen(session, "after_soft_rollback", self._drop_pending)

    def _flush_pending(self, session: Session) -> None:
        pending = session.info.pop("sg_velocity_pending", [])
        if not pending:
            return
        pipe = self.client.pipeline(transaction=False)
        for key, member, ts in pending:
            pipe.zadd(key, {member: ts})
            pipe.zremrangebyscore(key, "-inf", f"({ts - self.retention}")
            pipe.expire(key, self.retention + 3600)
        pipe.execute()

    @staticmethod
    def _drop_pending(session: Session, _previous: object = None) -> None:
        session.info.pop("sg_velocity_pending", None)


def window_starts(at: datetime) -> dict[str, datetime]:
    """Return the start of each window ending at ``at``."""
    return {w: at - timedelta(seconds=s) for w, s in WINDOWS.items()}


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisVelocity:
    import redis

    return RedisVelocity(redis.Redis.from_url(url))


def velocity_store() -> VelocityStore:
    """Return Redis counters when STOREGUARD_REDIS_URL is set, else counts from the database."""
    url = get_settings().redis_url
    if url:
        return _redis_store(url)
    return _sql_store()


@lru_cache(maxsize=1)
def _sql_store() -> VelocityStore:
    from storeguard.screening.velocity_sql import SqlVelocity  # it imports this module

    return SqlVelocity()
