"""Posting a queued delivery to its subscription's URL, signed, and keeping the attempt.

The host is resolved and checked at every send (see ``destinations``): one that now leads inside
storeguard's own network is refused and the attempt kept as refused. A 2xx answer delivers it; any other answer or a network failure is kept as an attempt and the
outbox tries again with backoff (dead after its last attempt; a person can replay it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import GiveUp, RetryLater
from storeguard.integrations.events.actions import KIND, secret_of
from storeguard.integrations.events.destinations import check_host, literal_address
from storeguard.integrations.events.models import EventDelivery, EventDeliveryAttempt, EventSubscription
from storeguard.integrations.events.signing import HEADER, header

TIMEOUT_SECONDS = 10.0
ERROR_MAX = 500


def body_bytes(delivery: EventDelivery) -> bytes:
    """Return the exact bytes sent (and signed) for a delivery."""
    return json.dumps(delivery.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class InternalAddress(Exception):
    """The subscription's host leads, now, to an address inside storeguard's own network."""


def _pinned_request(url: str, body: bytes, headers: dict[str, str]) -> httpx.Request:
    """A POST to the URL, addressed to the very IP address that was checked (not resolved again).

    The Host header and, for https, the name the certificate is checked against stay the URL's.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    destination = check_host(host, port)
    why = destination.refusal()
    if why is not None and not get_settings().events_allow_private_urls:
        raise InternalAddress(why)
    address = destination.addresses[0]
    pinned = httpx.URL(url).copy_with(host=str(address))
    extensions = {"sni_hostname": host} if parts.scheme == "https" and literal_address(host) is None else {}
    host_header = host if ":" not in host else f"[{host}]"
    if parts.port is not None:
        host_header = f"{host_header}:{parts.port}"
    return httpx.Request(
        "POST", pinned, content=body, headers={**headers, "Host": host_header}, extensions=extensions
    )


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
            request = _pinned_request(subscription.url, body, headers)
        except OSError as exc:
            attempt.error = f"could not resolve the address: {exc}"[:ERROR_MAX]
            raise RetryLater(f"could not reach {subscription.url}: {attempt.error}") from None
        except InternalAddress as exc:
            # Kept as a refused attempt; a person can replay it once the name leads outside again.
            attempt.error = f"refused: {exc}"[:ERROR_MAX]
            raise GiveUp(attempt.error) from None
        try:
            if client is not None:
                answer = client.send(request)
            else:
                with httpx.Client(timeout=TIMEOUT_SECONDS) as own:
                    answer = own.send(request)
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
