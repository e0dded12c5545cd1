"""The durable webhook inbox: store a verified delivery once, acknowledge, process it later.

A delivery is written (and committed) before the platform gets its 200, keyed uniquely on
(source, delivery id): a repeated delivery finds the row and changes nothing. Processing
claims a row with a conditional UPDATE, does the work and marks it done in one transaction,
so a crash at any point leaves the row ``received`` for the next pass and never half-applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.errors import DomainError, NotFound
from storeguard.integrations.enums import DeliverySource, DeliveryStatus
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.common import NotReady
from storeguard.integrations.platforms.paypal.ingest import handle as paypal
from storeguard.integrations.platforms.shopify.ingest import handle as shopify
from storeguard.integrations.platforms.square.ingest import handle as square
from storeguard.integrations.platforms.stripe.ingest import handle as stripe

MAX_ATTEMPTS = 8


Handler = Callable[[Session, WebhookDelivery], DeliveryStatus]


def record_delivery(
    session: Session,
    *,
    source: DeliverySource,
    delivery_id: str,
    topic: str,
    body: bytes,
    headers: dict[str, Any],
    shop_id: int | None = None,
) -> int | None:
    """Store a verified delivery; return its id, or None when this delivery id was seen before."""
    values = {
        "source": str(source),
        "delivery_id": delivery_id[:200],
        "topic": topic[:100],
        "body": body,
        "headers": headers,
        "shop_id": shop_id,
        "received_at": now(),
        "next_attempt_at": now(),
        "status": DeliveryStatus.received,
        "attempts": 0,
    }
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    stmt = (
        dialect.insert(WebhookDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        .returning(WebhookDelivery.id)
    )
    return session.execute(stmt).scalar_one_or_none()


# Each platform's ingest, by the source a delivery came from.
HANDLERS: dict[str, Handler] = {"paypal": paypal, "shopify": shopify, "square": square, "stripe": stripe}


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: 2^n seconds, capped at an hour."""
    return timedelta(seconds=min(3600, 2**attempts))


def process_delivery(session: Session, delivery_pk: int) -> DeliveryStatus | None:
    """Process one stored delivery and commit; return its new status, or None if not ours to do.

    The claim lives in the transaction that does the work: a process killed midway takes its
    claim with it (the database rolls back), and the next pass of any process finds the row
    ``received`` again. On PostgreSQL a row another process is working on is skipped, not waited for.
    """
    if session.get_bind().dialect.name == "postgresql":
        free = session.scalar(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.id == delivery_pk, WebhookDelivery.status == DeliveryStatus.received)
            .with_for_update(skip_locked=True, key_share=True)
        )
        if free is None:
            session.commit()
            return None
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_pk,
            WebhookDelivery.status == DeliveryStatus.received,
            WebhookDelivery.next_attempt_at <= now(),
        )
        .values(attempts=WebhookDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.commit()
        return None  # already processed, or another worker holds it
    delivery = session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_pk)
        .execution_options(populate_existing=True)
    ).scalar_one()
    handler = HANDLERS[delivery.source]
    try:
        with session.begin_nested():
            status = handler(session, delivery)
    except MappingError as exc:
        # The payload itself is wrong: trying again cannot help, a person must look.
        return _give_up(session, delivery_pk, f"unusable payload: {exc}", retry=False)
    except NotReady as exc:
        return _give_up(session, delivery_pk, str(exc), retry=True)
    except DomainError as exc:
        # A domain refused what the platform reports (a refund above the capture storeguard knows):
        # kept for another try, since the event that makes it valid may simply not have come yet.
        return _give_up(session, delivery_pk, f"refused: {exc.code}: {exc.message}", retry=True)
    except Exception as exc:  # a bug or an outage: recorded and retried, never lost
        return _give_up(session, delivery_pk, f"{type(exc).__name__}: {exc}", retry=True)
    delivery.status = status
    delivery.error = None
    delivery.processed_at = now()
    session.commit()
    return status


def _give_up(session: Session, delivery_pk: int, error: str, *, retry: bool) -> DeliveryStatus:
    # The work is undone; the attempt is kept (the claim rolled back with it, so count again).
    session.rollback()
    delivery = session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_pk)
        .execution_options(populate_existing=True)
    ).scalar_one()
    delivery.attempts += 1
    delivery.error = error[:2000]
    if retry and delivery.attempts < MAX_ATTEMPTS:
        delivery.next_attempt_at = now() + backoff(delivery.attempts)
    else:
        delivery.status = DeliveryStatus.failed
    session.commit()
    return DeliveryStatus(delivery.status)


@dataclass(slots=True)
class InboxPass:
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    retrying: int = 0


def process_pending(session: Session, *, limit: int = 500) -> InboxPass:
    """Process every due delivery still ``received`` (leftovers after a crash included)."""
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.received, WebhookDelivery.next_attempt_at <= now()
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )
    session.commit()
    result = InboxPass()
    for pk in ids:
        status = process_delivery(session, pk)
        if status == DeliveryStatus.processed:
            result.processed += 1
        elif status == DeliveryStatus.ignored:
            result.ignored += 1
        elif status == DeliveryStatus.failed:
            result.failed += 1
        elif status == DeliveryStatus.received:
            result.retrying += 1
    return result


def retry_delivery(session: Session, delivery_pk: int) -> WebhookDelivery:
    """Put a failed delivery back in the queue (a person fixed the cause); never commits."""
    delivery = session.get(WebhookDelivery, delivery_pk)
    if delivery is None:
        raise NotFound(IntegrationError.webhook_delivery_not_found, f"no webhook delivery {delivery_pk}")
    delivery.status = DeliveryStatus.received
    delivery.attempts = 0
    delivery.next_attempt_at = now()
    session.flush()
    return delivery
