"""Reading subscriptions and deliveries with their attempts and state."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.enums import OutboxStatus
from storeguard.core.models import OutboxMessage
from storeguard.integrations.events.models import EventDelivery, EventDeliveryAttempt, EventSubscription
from storeguard.integrations.events.schemas import AttemptRead, DeliveryRead, DeliveryState


def list_subscriptions(session: Session, *, shop_id: int | None = None) -> list[EventSubscription]:
    """Return the subscriptions not deleted, oldest first."""
    stmt = (
        select(EventSubscription).where(EventSubscription.deleted_at.is_(None)).order_by(EventSubscription.id)
    )
    if shop_id is not None:
        stmt = stmt.where(EventSubscription.shop_id == shop_id)
    return list(session.scalars(stmt))


def delivery_read(session: Session, delivery: EventDelivery) -> DeliveryRead:
    """A delivery with its attempts, oldest first, and what state it is in."""
    attempts = session.scalars(
        select(EventDeliveryAttempt)
        .where(EventDeliveryAttempt.delivery_id == delivery.id)
        .order_by(EventDeliveryAttempt.id)
    ).all()
    message = session.get(OutboxMessage, delivery.outbox_message_id) if delivery.outbox_message_id else None
    if delivery.delivered_at is not None and (message is None or message.status == OutboxStatus.sent):
        state = DeliveryState.delivered
    elif message is not None and message.status == OutboxStatus.dead:
        state = DeliveryState.failed
    else:
        state = DeliveryState.pending
    return DeliveryRead(
        id=delivery.id,
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        event=delivery.event,
        state=state,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        next_attempt_at=message.next_attempt_at if state is DeliveryState.pending and message else None,
        body=delivery.body,
        attempts=[AttemptRead.model_validate(a) for a in attempts],
    )


def list_deliveries(
    session: Session, subscription_id: int, *, limit: int = 50, offset: int = 0
) -> tuple[list[DeliveryRead], int]:
    """Return a subscription's deliveries, newest first, with the total."""
    where = EventDelivery.subscription_id == subscription_id
    rows = session.scalars(
        select(EventDelivery).where(where).order_by(EventDelivery.id.desc()).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(EventDelivery).where(where)) or 0
    return [delivery_read(session, d) for d in rows], total
