"""The durable webhook inbox, encrypted integration secrets and import runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.integrations.enums import DeliverySource, DeliveryStatus, ImportStatus, SecretScope


class WebhookDelivery(Base):
    """One verified webhook delivery, stored before it is acknowledged and processed after.

    The unique (source, delivery_id) makes a repeated delivery a no-op; the raw body is kept
    so a crash after the acknowledgement loses nothing and the work can be redone.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[DeliverySource] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(200))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[DeliveryStatus] = mapped_column(String(20), default=DeliveryStatus.received)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source", "delivery_id"),
        Index("ix_webhook_deliveries_status", "status", "id"),
    )


class IntegrationSecret(Base):
    """A webhook secret or API token, Fernet-encrypted; the previous one is kept for rotation."""

    __tablename__ = "integration_secrets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[SecretScope] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(255))  # a shop domain or a gateway name
    name: Mapped[str] = mapped_column(String(50))
    current: Mapped[str] = mapped_column(Text)  # encrypted
    previous: Mapped[str | None] = mapped_column(Text)  # encrypted
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("scope", "owner", "name"),)


class ImportRun(Base):
    """One bulk import of a file: how far it got, so an interrupted run resumes there."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the file
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    status: Mapped[ImportStatus] = mapped_column(String(20), default=ImportStatus.running)
    rows_done: Mapped[int] = mapped_column(default=0)  # rows committed, good or bad
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    report_path: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
