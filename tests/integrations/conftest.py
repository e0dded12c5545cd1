"""Helpers for integration tests: a fixed encryption key, configured shops, signed deliveries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.integrations.actions import configure_gateway, configure_shop
from storeguard.integrations.platforms.shopify.signature import compute_signature
from storeguard.shops.models import Shop
from tests.factories import make_shop

OPERATOR = Actor("cli", "test-operator", Role.owner)
SHOP_SECRET = "shpss_test_secret"


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """Encrypt secrets with a fixed test key and keep files in a temporary data dir."""
    settings = get_settings()
    monkeypatch.setattr(settings, "secret_key", "test-only-key")
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    yield


@pytest.fixture
def allow_private_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let event subscriptions post to the local test receiver (127.0.0.1), as the demo does."""
    monkeypatch.setattr(get_settings(), "events_allow_private_urls", True)


@pytest.fixture
def shopify_shop(session: Session) -> Shop:
    """A Shopify shop with a webhook secret, committed so processing (which commits) sees it."""
    shop = make_shop(session, domain="kari-sko.myshopify.com", currency="NOK", country="NO")
    configure_shop(session, shop.domain, actor=OPERATOR, webhook_secret=SHOP_SECRET)
    session.commit()
    return shop


@pytest.fixture
def stripe_secret(session: Session) -> str:
    secret = "whsec_test_stripe"
    configure_gateway(session, "stripe", secret, actor=OPERATOR)
    session.commit()
    return secret


def shopify_headers(
    body: bytes,
    *,
    topic: str,
    webhook_id: str,
    shop: str = "kari-sko.myshopify.com",
    secret: str = SHOP_SECRET,
    prefix: str = "X-",
) -> dict[str, str]:
    """Headers Shopify would send with ``body``."""
    return {
        f"{prefix}Shopify-Hmac-Sha256": compute_signature(body, secret),
        f"{prefix}Shopify-Topic": topic,
        f"{prefix}Shopify-Shop-Domain": shop,
        f"{prefix}Shopify-Webhook-Id": webhook_id,
        f"{prefix}Shopify-API-Version": "2025-01",
        "Content-Type": "application/json",
    }


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


Post = Callable[..., Any]
