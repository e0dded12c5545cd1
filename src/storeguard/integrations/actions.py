"""The changes integrations make: connecting shops and gateways, retrying a dead outbound call.

Each action checks, changes, audits and flushes; the entry point commits.
"""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.errors import CommonError, Invalid, NotFound
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import retry_dead
from storeguard.integrations.enums import DeliveryStatus, SecretName, SecretScope
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.secrets import set_secret
from storeguard.integrations.webhooks.inbox import retry_delivery
from storeguard.shops.actions import set_platform_settings
from storeguard.shops.enums import Platform
from storeguard.shops.policy import PLATFORM_MAILS_CUSTOMERS
from storeguard.shops.service import shop_with_domain

GATEWAYS = ("stripe", "square", "paypal")


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
    shop = shop_with_domain(session, domain)
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
        set_platform_settings(
            session,
            shop_id=shop.id,
            changes={PLATFORM_MAILS_CUSTOMERS: shop.platform == Platform.shopify},
            actor=actor,
        )
        stored.append("access_token")
    if api_base_url is not None:
        parsed = urlparse(api_base_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise Invalid(
                IntegrationError.api_base_url_invalid,
                f"{api_base_url!r} is not an http(s) URL",
                field="api_base_url",
            )
        set_platform_settings(
            session, shop_id=shop.id, changes={"shopify_api_base_url": api_base_url.rstrip("/")}, actor=actor
        )
        stored.append("api_base_url")
    if not stored:
        raise Invalid(
            IntegrationError.nothing_to_store, "give a webhook secret, an access token or an API URL"
        )
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
        raise Invalid(
            IntegrationError.gateway_unknown, f"gateway must be one of {', '.join(GATEWAYS)}", field="gateway"
        )
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
        raise NotFound(CommonError.outbox_message_not_found, f"no outbox message {message_id}")
    if message.status != "dead":
        raise Invalid(
            IntegrationError.outbox_message_not_dead, f"message {message_id} is {message.status}, not dead"
        )
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


def retry_failed_delivery(session: Session, delivery_pk: int, *, actor: Actor) -> WebhookDelivery:
    """Put a webhook delivery that failed for good back in the queue and record who decided so."""
    delivery = session.get(WebhookDelivery, delivery_pk)
    if delivery is None:
        raise NotFound(IntegrationError.webhook_delivery_not_found, f"no webhook delivery {delivery_pk}")
    if delivery.status != DeliveryStatus.failed:
        raise Invalid(
            IntegrationError.delivery_not_failed, f"delivery {delivery_pk} is {delivery.status}, not failed"
        )
    error = delivery.error
    retry_delivery(session, delivery_pk)
    record_event(
        session,
        actor=actor,
        action="webhook_delivery.retried",
        subject_type="webhook_delivery",
        subject_id=delivery_pk,
        shop_id=delivery.shop_id,
        data={"source": delivery.source, "topic": delivery.topic, "last_error": error},
    )
    return delivery
