"""Posting a queued delivery to its subscription's URL, signed, and keeping the attempt.

A 2xx answer delivers it; any other answer or a network failure is kept as an attempt and the
outbox tries again with backoff (dead after its last attempt; a person can replay it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import GiveUp, RetryLater
from storeguard.integrations.events.actions import KIND, secret_of
from storeguard.integrations.events.models import EventDelivery, EventDeliveryAttempt, EventSubscription
from storeguard.integrations.events.signing import HEADER, header

TIMEOUT_SECONDS = 10.0
ERROR_MAX = 500


def body_bytes(delivery: EventDelivery) -> bytes:
    """Return the exact bytes sent (and signed) for a delivery."""
    return json.dumps(delivery.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def senders(
    session: Session, client: httpx.Client | None = None
) -> dict[str, Callable[[OutboxMessage], None]]:
    """Return the outbox sender of event deliveries."""

    def send(message: OutboxMessage) -> None:
        delivery = session.get(EventDelivery, message.payload["delivery_id"])
        if delivery is None:
            raise GiveUp("the delivery no longer exists")
        subscription = session.get(EventSubscription, delivery.subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            raise GiveUp("the subscription was deleted")
        body = body_bytes(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "storeguard-events",
            HEADER: header(secret_of(subscription), int(now().timestamp()), body),
            "Storeguard-Event": delivery.event,
            "Storeguard-Event-Id": delivery.event_id,
        }
        attempt = EventDeliveryAttempt(delivery_id=delivery.id, at=now())
        session.add(attempt)
        started = time.monotonic()
        try:
            if client is not None:
                answer = client.post(subscription.url, content=body, headers=headers)
            else:
                answer = httpx.post(subscription.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            attempt.duration_ms = int((time.monotonic() - started) * 1000)
            attempt.error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            raise RetryLater(f"could not reach {subscription.url}: {attempt.error}") from None
        attempt.duration_ms = int((time.monotonic() - started) * 1000)
        attempt.status_code = answer.status_code
        if not answer.is_success:
            attempt.error = f"the receiver answered {answer.status_code}"
            raise RetryLater(attempt.error)
        delivery.delivered_at = now()

    return {KIND: send}
