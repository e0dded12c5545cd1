"""Configuring shops and gateways for integrations, and retrying dead outbound calls."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import ensure_utc, now
from storeguard.core.enums import OutboxStatus
from storeguard.core.errors import Invalid, NotFound
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import retry_dead
from storeguard.core.pages import fetch_page
from storeguard.integrations.enums import DeliveryStatus, SecretName, SecretScope
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.secrets import set_secret
from storeguard.shops.enums import Platform
from storeguard.shops.models import Shop
from storeguard.shops.policy import PLATFORM_MAILS_CUSTOMERS

GATEWAYS = ("stripe", "square", "paypal")


def shop_by_domain(session: Session, domain: str) -> Shop:
    """Return the shop with this domain or raise NotFound."""
    shop = session.scalar(select(Shop).where(Shop.domain == domain.lower()))
    if shop is None:
        raise NotFound("shop_not_found", f"no shop with domain {domain}")
    return shop


def configure_shop(
    session: Session,
    domain: str,
    *,
    actor: Actor,
    webhook_secret: str | None = None,
    access_token: str | None = None,
    api_base_url: str | None = None,
) -> list[str]:
    """Store a shop's webhook secret, Admin API token and API address; return what was stored."""
    shop = shop_by_domain(session, domain)
    stored: list[str] = []
    if webhook_secret is not None:
        set_secret(
            session,
            scope=SecretScope.shop,
            owner=shop.domain,
            name=SecretName.webhook_secret,
            value=webhook_secret,
            actor=actor,
        )
        stored.append("webhook_secret")
    if access_token is not None:
        # An API token is not rotated like a signing key: the old one is simply replaced.
        set_secret(
            session,
            scope=SecretScope.shop,
            owner=shop.domain,
            name=SecretName.access_token,
            value=access_token,
            actor=actor,
            keep_previous=False,
        )
        # Shopify then mails its customers about its orders; storeguard asks it to instead of mailing too.
        shop.settings = {**(shop.settings or {}), PLATFORM_MAILS_CUSTOMERS: shop.platform == Platform.shopify}
        stored.append("access_token")
    if api_base_url is not None:
        parsed = urlparse(api_base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise Invalid(
                "api_base_url_invalid", f"{api_base_url!r} is not an http(s) URL", field="api_base_url"
            )
        shop.settings = {**(shop.settings or {}), "shopify_api_base_url": api_base_url.rstrip("/")}
        stored.append("api_base_url")
    if not stored:
        raise Invalid("nothing_to_store", "give a webhook secret, an access token or an API URL")
    session.flush()
    return stored


def configure_gateway(
    session: Session,
    gateway: str,
    secret: str,
    *,
    actor: Actor,
    webhook_id: str | None = None,
    notification_url: str | None = None,
) -> list[str]:
    """Store a gateway's webhook secret (and PayPal's webhook id or Square's URL)."""
    gateway = gateway.lower()
    if gateway not in GATEWAYS:
        raise Invalid("gateway_unknown", f"gateway must be one of {', '.join(GATEWAYS)}", field="gateway")
    stored = []
    if gateway == "paypal":
        # PayPal signs with its own key; what we hold is the webhook id that is part of the signed string.
        set_secret(
            session,
            scope=SecretScope.gateway,
            owner=gateway,
            name=SecretName.webhook_id,
            value=webhook_id or secret,
            actor=actor,
        )
        stored.append("webhook_id")
    else:
        set_secret(
            session,
            scope=SecretScope.gateway,
            owner=gateway,
            name=SecretName.webhook_secret,
            value=secret,
            actor=actor,
        )
        stored.append("webhook_secret")
    if notification_url is not None:
        set_secret(
            session,
            scope=SecretScope.gateway,
            owner=gateway,
            name=SecretName.notification_url,
            value=notification_url,
            actor=actor,
            keep_previous=False,
        )
        stored.append("notification_url")
    return stored


def retry_outbound(session: Session, message_id: int, *, actor: Actor) -> OutboxMessage:
    """Put a dead outbound call back in the queue and record who decided so."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("outbox_message_not_found", f"no outbox message {message_id}")
    if message.status != "dead":
        raise Invalid("outbox_message_not_dead", f"message {message_id} is {message.status}, not dead")
    retry_dead(session, message_id)
    record_event(
        session,
        actor=actor,
        action="outbox_message.retried",
        subject_type="outbox_message",
        subject_id=message_id,
        data={"kind": message.kind, "last_error": message.last_error},
    )
    return message


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
