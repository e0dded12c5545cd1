"""Reading what integrations hold: outbound calls by status, webhook deliveries, the inbox's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc, now
from storeguard.core.enums import OutboxStatus
from storeguard.core.models import OutboxMessage
from storeguard.core.pages import KeysetPage, fetch_keyset, fetch_page
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.models import IntegrationSecret, WebhookDelivery


def list_outbox(
    session: Session, status: OutboxStatus, *, limit: int, offset: int
) -> tuple[list[OutboxMessage], int]:
    """Return one page of outbound calls in a status, oldest first, and how many there are."""
    stmt = select(OutboxMessage).where(OutboxMessage.status == status)
    return fetch_page(session, stmt, OutboxMessage.id, limit=limit, offset=offset)


def list_deliveries(
    session: Session,
    status: DeliveryStatus,
    *,
    limit: int,
    offset: int,
    waiting_longer_than: timedelta | None = None,
) -> tuple[list[WebhookDelivery], int]:
    """Return one page of webhook deliveries in a status, oldest first, and how many there are."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.status == status)
    if waiting_longer_than is not None:
        stmt = stmt.where(WebhookDelivery.received_at < now() - waiting_longer_than)
    return fetch_page(session, stmt, WebhookDelivery.id, limit=limit, offset=offset)


def inbox_health(session: Session, *, stale_after: timedelta) -> dict[str, int | float | None]:
    """Say how many deliveries wait, how long the oldest has, and how many wait past ``stale_after``."""
    waiting = WebhookDelivery.status == DeliveryStatus.received
    count, oldest = session.execute(
        select(func.count(), func.min(WebhookDelivery.received_at)).where(waiting)
    ).one()
    stale = session.scalar(
        select(func.count()).where(waiting, WebhookDelivery.received_at < now() - stale_after)
    )
    failed = session.scalar(select(func.count()).where(WebhookDelivery.status == DeliveryStatus.failed))
    oldest_seconds = None if oldest is None else round((now() - ensure_utc(oldest)).total_seconds(), 1)
    return {"waiting": count, "oldest_waiting_seconds": oldest_seconds, "stale": stale, "failed": failed}


def failure_counts(session: Session) -> tuple[int, int]:
    """Return how many webhook deliveries failed for good and how many outbound messages are dead."""
    failed = session.scalar(select(func.count()).where(WebhookDelivery.status == DeliveryStatus.failed))
    dead = session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.dead))
    return int(failed or 0), int(dead or 0)


def delivery_page(
    session: Session,
    status: DeliveryStatus | None,
    *,
    limit: int,
    after: tuple[Any, Any] | None = None,
    before: tuple[Any, Any] | None = None,
) -> KeysetPage[WebhookDelivery]:
    """Return webhook deliveries, newest first, of one status or all; a page by key, nothing counted."""
    stmt = select(WebhookDelivery)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    keys = (WebhookDelivery.received_at, WebhookDelivery.id)
    return fetch_keyset(session, stmt, keys, limit=limit, after=after, before=before)


def outbox_page(session: Session, status: OutboxStatus | None, *, limit: int) -> list[OutboxMessage]:
    """Return the newest outbound messages of one status or all."""
    stmt = select(OutboxMessage)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))


@dataclass(frozen=True, slots=True)
class SecretState:
    """That a secret is set and when, never what it is."""

    updated_at: datetime
    rotating: bool  # the previous value is still accepted


def secret_states(session: Session) -> dict[tuple[str, str, str], SecretState]:
    """Which secrets are set, by (scope, owner, name): for the settings page, without decrypting any."""
    rows = session.execute(
        select(
            IntegrationSecret.scope,
            IntegrationSecret.owner,
            IntegrationSecret.name,
            IntegrationSecret.updated_at,
            IntegrationSecret.previous.is_not(None),
        )
    )
    return {(str(sc), owner, str(name)): SecretState(at, bool(rot)) for sc, owner, name, at, rot in rows}
