"""Domain events: what a domain decided, written to the outbox in the decision's own transaction.

A domain never calls a platform. Its action publishes a neutral event (``order.cancelled``,
``order.refunded``, ``order.held``, ``review.released``, ...) beside its audit event; after the
commit the worker hands each event to the subscribers (the Shopify integration, later others),
which turn it into their own outbox messages (an Admin API call). A rollback publishes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import enqueue

EVENT_KIND = "event"


def publish(
    session: Session,
    name: str,
    *,
    shop_id: int,
    subject_type: str,
    subject_id: int,
    data: dict[str, Any] | None = None,
    key: str | int | None = None,
) -> OutboxMessage:
    """Publish one domain event; the same name, subject and ``key`` twice is one event."""
    payload = {
        "name": name,
        "shop_id": shop_id,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data or {},
    }
    dedupe = f"event:{name}:{subject_type}:{subject_id}:{key}" if key is not None else None
    return enqueue(session, EVENT_KIND, payload, dedupe_key=dedupe)
