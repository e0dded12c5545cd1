"""Subscribing, unsubscribing and replaying; and raising deliveries from the audit log.

``raise_from_audit`` is told of every audited action in its own transaction: a rollback raises
nothing, and a committed block always has its delivery queued.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import on_record, record_event, register_subject_shop, shop_of_chain
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Invalid, NotFound
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.core.outbox import enqueue
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.events.catalog import EVENT_NAMES, FROM_AUDIT
from storeguard.integrations.events.destinations import Resolver, check_host
from storeguard.integrations.events.models import EventDelivery, EventSubscription
from storeguard.integrations.events.signing import new_secret
from storeguard.integrations.secrets import fernet
from storeguard.shops.service import get_shop

KIND = "event_delivery"
URL_MAX = 2000

register_subject_shop("event_subscription", EventSubscription)


def _url_invalid(url: str) -> Invalid:
    return Invalid(
        IntegrationError.event_url_invalid,
        f"{url!r} is not an http:// or https:// address storeguard can post to",
        field="url",
    )


def url_internal(url: str, why: str) -> Invalid:
    """The refusal of a URL inside storeguard's own network (at subscribing, and kept on a refused send)."""
    return Invalid(
        IntegrationError.event_url_internal,
        f"storeguard does not post events to {url!r}: {why}",
        field="url",
    )


def check_url(url: str, *, resolve: Resolver | None = None) -> str:
    """Return the URL cleaned, or refuse one that is not an absolute http(s) address or whose host
    is, or resolves to, an internal address (unless the deployment allows them)."""
    clean = url.strip()
    parts = urlsplit(clean)
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(clean) > URL_MAX or " " in clean:
        raise _url_invalid(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _url_invalid(url) from None
    if get_settings().events_allow_private_urls:
        return clean
    try:
        why = check_host(parts.hostname, port, resolve=resolve).refusal()
    except OSError:
        # A name that does not resolve yet cannot be judged now; every delivery checks it again.
        return clean
    if why is not None:
        raise url_internal(clean, why)
    return clean


def check_events(events: Sequence[str]) -> list[str]:
    """Return the event names without repeats, or refuse none or one storeguard does not raise."""
    if not events:
        raise Invalid(IntegrationError.events_required, "subscribe to at least one event", field="events")
    unknown = sorted(set(events) - set(EVENT_NAMES))
    if unknown:
        raise Invalid(
            IntegrationError.event_unknown,
            f"no event named {', '.join(unknown)}; the events are {', '.join(EVENT_NAMES)}",
            field="events",
        )
    return sorted(set(events))


def subscribe(
    session: Session,
    *,
    shop_id: int,
    url: str,
    events: Sequence[str],
    actor: Actor,
    description: str | None = None,
) -> tuple[EventSubscription, str]:
    """Subscribe a URL to events; return it with its secret, the only time the secret is given."""
    shop = get_shop(session, shop_id, field="shop_id")
    clean_url, names = check_url(url), check_events(events)
    secret = new_secret()
    subscription = EventSubscription(
        shop_id=shop.id,
        url=clean_url,
        events=names,
        secret=fernet().encrypt(secret.encode()).decode(),
        description=(description or "").strip() or None,
    )
    session.add(subscription)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="event_subscription.created",
        subject_type="event_subscription",
        subject_id=subscription.id,
        after={"url": clean_url, "events": names},
        shop_id=shop.id,
    )
    return subscription, secret


def get_subscription(session: Session, subscription_id: int) -> EventSubscription:
    """Return a subscription that is not deleted, or refuse."""
    subscription = session.get(EventSubscription, subscription_id)
    if subscription is None or subscription.deleted_at is not None:
        raise NotFound(
            IntegrationError.event_subscription_not_found, f"no event subscription {subscription_id}"
        )
    return subscription


def unsubscribe(session: Session, *, subscription_id: int, actor: Actor) -> EventSubscription:
    """Stop raising events for a subscription; its deliveries stay readable."""
    subscription = get_subscription(session, subscription_id)
    subscription.deleted_at = now()
    record_event(
        session,
        actor=actor,
        action="event_subscription.deleted",
        subject_type="event_subscription",
        subject_id=subscription.id,
        before={"url": subscription.url, "events": subscription.events},
        shop_id=subscription.shop_id,
    )
    session.flush()
    return subscription


def secret_of(subscription: EventSubscription) -> str:
    """Return a subscription's secret in clear (to sign with)."""
    return fernet().decrypt(subscription.secret.encode()).decode()


def _queue(session: Session, delivery: EventDelivery, round_: int) -> OutboxMessage:
    message = enqueue(
        session, KIND, {"delivery_id": delivery.id}, dedupe_key=f"{KIND}:{delivery.id}:{round_}"
    )
    delivery.outbox_message_id = message.id
    return message


def raise_from_audit(session: Session, entry: AuditEvent) -> None:
    """Queue one delivery per subscription of the entry's shop to the event this action raises."""
    name = FROM_AUDIT.get(entry.action)
    shop_id = shop_of_chain(entry.chain) if name is not None else None
    if name is None or shop_id is None:
        return
    subscriptions = session.scalars(
        select(EventSubscription)
        .where(EventSubscription.shop_id == shop_id, EventSubscription.deleted_at.is_(None))
        .order_by(EventSubscription.id)
    ).all()
    for subscription in subscriptions:
        if name not in subscription.events:
            continue
        event_id = f"evt_{uuid.uuid4().hex}"
        body = {
            "id": event_id,
            "type": name,
            "created": entry.at.astimezone(UTC).isoformat(timespec="seconds"),
            "shop_id": shop_id,
            "data": {
                "subject_type": entry.subject_type,
                "subject_id": entry.subject_id,
                "reason": entry.reason,
                "actor": entry.actor,
                "before": entry.before,
                "after": entry.after,
                "details": entry.data,
            },
        }
        delivery = EventDelivery(subscription_id=subscription.id, event_id=event_id, event=name, body=body)
        session.add(delivery)
        session.flush()
        _queue(session, delivery, 0)
    session.flush()


def get_delivery(session: Session, delivery_id: int) -> EventDelivery:
    """Return a delivery, or refuse."""
    delivery = session.get(EventDelivery, delivery_id)
    if delivery is None:
        raise NotFound(IntegrationError.event_delivery_not_found, f"no event delivery {delivery_id}")
    return delivery


def replay(session: Session, *, delivery_id: int, actor: Actor) -> EventDelivery:
    """Send a delivery again, the same event and body, signed afresh (a receiver lost it or was fixed)."""
    delivery = get_delivery(session, delivery_id)
    subscription = get_subscription(session, delivery.subscription_id)
    # Each send is its own outbox message (retried on its own); the count numbers the next one.
    round_ = (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(f"{KIND}:{delivery.id}:"))
        )
        or 0
    )
    _queue(session, delivery, round_)
    record_event(
        session,
        actor=actor,
        action="event_delivery.replayed",
        subject_type="event_subscription",
        subject_id=subscription.id,
        data={"delivery_id": delivery.id, "event_id": delivery.event_id},
        shop_id=subscription.shop_id,
    )
    session.flush()
    return delivery


on_record("integrations.events", raise_from_audit)
