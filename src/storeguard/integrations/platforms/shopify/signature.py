"""Shopify webhook signatures: base64 HMAC-SHA256 of the raw body with the app's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

# Shopify sends ``X-Shopify-*`` headers; newer deliveries drop the ``X-`` prefix.
HEADER_HMAC = "shopify-hmac-sha256"
HEADER_TOPIC = "shopify-topic"
HEADER_SHOP = "shopify-shop-domain"
HEADER_WEBHOOK_ID = "shopify-webhook-id"
HEADER_EVENT_ID = "shopify-event-id"
HEADER_API_VERSION = "shopify-api-version"
HEADER_TRIGGERED_AT = "shopify-triggered-at"
KEPT_HEADERS = (
    HEADER_TOPIC,
    HEADER_SHOP,
    HEADER_WEBHOOK_ID,
    HEADER_EVENT_ID,
    HEADER_API_VERSION,
    HEADER_TRIGGERED_AT,
)


def shopify_header(headers: Mapping[str, str], name: str) -> str | None:
    """Read a Shopify header by its name without prefix, accepting ``X-`` and bare forms."""
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get(f"x-{name}")
    if value is None:
        value = lowered.get(name)
    return value


def compute_signature(body: bytes, secret: str) -> str:
    """Return the base64 HMAC-SHA256 Shopify puts in the header for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """Tell whether ``header`` signs ``body`` with any of ``secrets``, in constant time.

    The comparison is on the exact base64 text: a hex digest, an unpadded or URL-safe
    variant (the shapes cookie and app-proxy signatures use) never matches.
    """
    if not header:
        return False
    given = header.strip().encode()
    matched = False
    for secret in secrets:
        # Every candidate is checked, so timing does not tell which secret matched.
        matched |= hmac.compare_digest(compute_signature(body, secret).encode(), given)
    return matched
