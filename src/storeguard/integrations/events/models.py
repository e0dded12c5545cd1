"""Subscriptions of a URL to events, the deliveries raised for them and each attempt to send one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime


class EventSubscription(Base):
    """A shop's URL and the events sent to it, signed with its own secret (kept encrypted)."""

    __tablename__ = "event_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(Json, default=list)
    secret: Mapped[str] = mapped_column(Text)  # Fernet-encrypted; shown in clear once, at creation
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Deleted subscriptions are kept (their deliveries stay readable) and raise nothing more.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventDelivery(Base):
    """One event for one subscription: the exact body sent, and whether the receiver took it."""

    __tablename__ = "event_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("event_subscriptions.id"))
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    event: Mapped[str] = mapped_column(String(50))
    body: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The outbox message carrying the latest send (a replay queues a new one).
    outbox_message_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (Index("ix_event_deliveries_subscription", "subscription_id", "id"),)


class EventDeliveryAttempt(Base):
    """One try at sending a delivery: when, what the receiver answered, or why it could not."""

    __tablename__ = "event_delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("event_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(default=0)
