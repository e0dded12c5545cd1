"""Receiving webhooks: verify the signature on the raw body, store the delivery once.

Pure of HTTP: the routes hand these functions the body and headers. Nothing is stored for a
delivery whose signature does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.errors import Invalid, Unauthorized
from storeguard.integrations.enums import DeliverySource, SecretName, SecretScope
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.platforms.common import parse_body
from storeguard.integrations.platforms.paypal import signature as paypal_sig
from storeguard.integrations.platforms.shopify import signature as shopify_sig
from storeguard.integrations.platforms.square import signature as square_sig
from storeguard.integrations.platforms.stripe import signature as stripe_sig
from storeguard.integrations.secrets import get_secret
from storeguard.integrations.webhooks.inbox import record_delivery
from storeguard.shops.models import Shop


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _event(body: bytes) -> dict[str, Any]:
    try:
        return parse_body(body)
    except MappingError as exc:
        raise Invalid(
            IntegrationError.event_not_json, f"the signed body is not a usable JSON event: {exc}"
        ) from None


def _gateway_secrets(session: Session, gateway: str) -> list[str]:
    pair = get_secret(session, scope=SecretScope.gateway, owner=gateway, name=SecretName.webhook_secret)
    if pair is None:
        raise Unauthorized(
            IntegrationError.webhook_not_configured, f"no {gateway} webhook secret is configured"
        )
    return pair.candidates()


def receive_shopify(
    session: Session, shop_domain: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int | None, str]:
    """Verify and store a Shopify delivery; return (stored id or None if duplicate, webhook id)."""
    shop = session.scalar(select(Shop).where(Shop.domain == shop_domain.lower()))
    pair = (
        get_secret(session, scope=SecretScope.shop, owner=shop_domain.lower(), name=SecretName.webhook_secret)
        if shop is not None
        else None
    )
    if shop is None or pair is None:
        raise Unauthorized(
            IntegrationError.webhook_not_configured, f"no webhook secret is configured for {shop_domain}"
        )
    given = shopify_sig.shopify_header(headers, shopify_sig.HEADER_HMAC)
    if not given:
        raise Unauthorized(IntegrationError.signature_missing, "no X-Shopify-Hmac-Sha256 header")
    if not shopify_sig.verify_signature(body, given, pair.candidates()):
        raise Unauthorized(
            IntegrationError.signature_invalid, "the HMAC does not match this shop's webhook secret"
        )
    header_shop = shopify_sig.shopify_header(headers, shopify_sig.HEADER_SHOP)
    if header_shop and header_shop.lower() != shop.domain:
        raise Unauthorized(
            IntegrationError.shop_mismatch, f"delivery for {header_shop} posted to {shop.domain}'s address"
        )
    webhook_id = shopify_sig.shopify_header(headers, shopify_sig.HEADER_WEBHOOK_ID)
    topic = shopify_sig.shopify_header(headers, shopify_sig.HEADER_TOPIC)
    if not webhook_id or not topic:
        raise Invalid(
            IntegrationError.webhook_headers_missing, "X-Shopify-Webhook-Id and X-Shopify-Topic are required"
        )
    kept = {h: v for h in shopify_sig.KEPT_HEADERS if (v := shopify_sig.shopify_header(headers, h))}
    stored = record_delivery(
        session,
        source=DeliverySource.shopify,
        delivery_id=webhook_id,
        topic=topic,
        body=body,
        headers=kept,
        shop_id=shop.id,
    )
    return stored, webhook_id


def receive_stripe(session: Session, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str]:
    """Verify and store a Stripe event (exactly once by event id)."""
    secrets = _gateway_secrets(session, "stripe")
    try:
        stripe_sig.verify_signature(
            body, _lower(headers).get(stripe_sig.HEADER), secrets, now_ts=int(now().timestamp())
        )
    except stripe_sig.StripeSignatureError as exc:
        raise Unauthorized(IntegrationError(exc.code), str(exc)) from None
    event = _event(body)
    if not event.get("id") or not event.get("type"):
        raise Invalid(IntegrationError.event_incomplete, "a Stripe event needs an id and a type")
    stored = record_delivery(
        session,
        source=DeliverySource.stripe,
        delivery_id=str(event["id"]),
        topic=str(event["type"]),
        body=body,
        headers={"stripe-signature-t": _lower(headers)[stripe_sig.HEADER].split(",")[0]},
    )
    return stored, str(event["id"])


def receive_square(
    session: Session, url: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int | None, str]:
    """Verify and store a Square event; ``url`` is the notification URL as Square knows it."""
    keys = _gateway_secrets(session, "square")
    configured = get_secret(
        session, scope=SecretScope.gateway, owner="square", name=SecretName.notification_url
    )
    signed_url = configured.current if configured else url
    given = _lower(headers).get(square_sig.HEADER)
    if not given:
        raise Unauthorized(IntegrationError.signature_missing, "no x-square-hmacsha256-signature header")
    if not square_sig.verify_signature(signed_url, body, given, keys):
        raise Unauthorized(
            IntegrationError.signature_invalid, "the HMAC does not match the Square signature key"
        )
    event = _event(body)
    if not event.get("event_id") or not event.get("type"):
        raise Invalid(IntegrationError.event_incomplete, "a Square event needs an event_id and a type")
    stored = record_delivery(
        session,
        source=DeliverySource.square,
        delivery_id=str(event["event_id"]),
        topic=str(event["type"]),
        body=body,
        headers={},
    )
    return stored, str(event["event_id"])


def receive_paypal(
    session: Session, body: bytes, headers: Mapping[str, str], load_certificate: Callable[[str], bytes]
) -> tuple[int | None, str]:
    """Verify and store a PayPal event (exactly once by event id)."""
    webhook = get_secret(session, scope=SecretScope.gateway, owner="paypal", name=SecretName.webhook_id)
    if webhook is None:
        raise Unauthorized(IntegrationError.webhook_not_configured, "no PayPal webhook id is configured")
    try:
        paypal_sig.verify_signature(body, headers, webhook.current, load_certificate)
    except paypal_sig.PayPalSignatureError as exc:
        raise Unauthorized(IntegrationError(exc.code), str(exc)) from None
    event = _event(body)
    if not event.get("id") or not event.get("event_type"):
        raise Invalid(IntegrationError.event_incomplete, "a PayPal event needs an id and an event_type")
    lowered = _lower(headers)
    stored = record_delivery(
        session,
        source=DeliverySource.paypal,
        delivery_id=str(event["id"]),
        topic=str(event["event_type"]),
        body=body,
        headers={h: lowered[h] for h in paypal_sig.KEPT_HEADERS if h in lowered},
    )
    return stored, str(event["id"])
