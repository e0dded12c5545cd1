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
from typing import Protocol

from sqlalchemy.orm import Session

from storeguard.core.prepared import Driver
from storeguard.screening.policy import WINDOWS

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


def window_starts(at: datetime) -> dict[str, datetime]:
    """Return the start of each window ending at ``at``."""
    return {w: at - timedelta(seconds=s) for w, s in WINDOWS.items()}
