"""A real database per test, seeded as a small store, for tests that run the server as its own process."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.apikeys import create_api_key
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.enums import Role
from storeguard.core.migrations import upgrade_to_head
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.platforms.shopify.signature import compute_signature
from tests.factories import make_customer, make_product, make_shop, place_order

SECRET_KEY = "reliability-test-key"
SHOP_DOMAIN = "kari-sko.myshopify.com"
SHOP_SECRET = "shpss_reliability"
OPERATOR = Actor("cli", "test-operator", Role.owner)


@dataclass
class Store:
    url: str
    data_dir: Path
    key: str
    order_ids: list[int]
    customer_ids: list[int]
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def live_database_url(empty_database_url: str) -> str:
    """A fresh database on the backend under test, migrated as `storeguard migrate` would."""
    upgrade_to_head(empty_database_url)
    return empty_database_url


@pytest.fixture
def store(live_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A Shopify shop with a webhook secret, 40 paid orders, 40 customers and an owner key, committed."""
    settings = get_settings()
    monkeypatch.setattr(settings, "secret_key", SECRET_KEY)
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    engine = make_engine(live_database_url)
    with Session(engine, expire_on_commit=False) as session:
        shop = make_shop(session, domain=SHOP_DOMAIN, currency="NOK", country="NO")
        configure_shop(session, shop.domain, actor=OPERATOR, webhook_secret=SHOP_SECRET)
        product = make_product(session, shop, sku="CAP", price=10000, stock=10_000)
        customers = [make_customer(session, shop, email=f"buyer{i}@example.no") for i in range(40)]
        orders = [place_order(session, shop, [(product, 1)], customer=c) for c in customers]
        _, key = create_api_key(session, name="reliability", role=Role.owner, actor=OPERATOR)
        session.commit()
        order_ids = [o.id for o in orders]
        customer_ids = [c.id for c in customers]
    engine.dispose()
    return Store(
        url=live_database_url,
        data_dir=tmp_path,
        key=key,
        order_ids=order_ids,
        customer_ids=customer_ids,
        env={"STOREGUARD_SECRET_KEY": SECRET_KEY},
    )


def shopify_order_payload(n: int) -> dict[str, Any]:
    """A distinct paid Shopify order (n picks its ids, name and buyer)."""
    return {
        "id": 5_000_000_000_000 + n,
        "name": f"#{7000 + n}",
        "order_number": 7000 + n,
        "email": f"guest{n}@example.no",
        "currency": "NOK",
        "created_at": "2026-11-01T10:00:00+01:00",
        "updated_at": "2026-11-01T10:00:05+01:00",
        "financial_status": "paid",
        "subtotal_price": "100.00",
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_price": "100.00",
        "line_items": [
            {
                "id": 9_000_000_000 + n,
                "product_id": 1,
                "title": "Cap",
                "sku": "CAP",
                "quantity": 1,
                "price": "100.00",
            }
        ],
        "customer": {"id": 6_000_000_000 + n, "email": f"guest{n}@example.no", "state": "enabled"},
        "shipping_address": {
            "address1": f"Storgata {n}",
            "city": "Oslo",
            "zip": "0155",
            "country_code": "NO",
        },
    }


def signed_delivery(
    payload: dict[str, Any], webhook_id: str, topic: str = "orders/create"
) -> tuple[bytes, dict]:
    """The body and headers Shopify would send for ``payload``."""
    body = json.dumps(payload).encode()
    return body, {
        "X-Shopify-Hmac-Sha256": compute_signature(body, SHOP_SECRET),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP_DOMAIN,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2025-07",
        "Content-Type": "application/json",
    }


@dataclass
class NoAnswer:
    """A request that got no HTTP answer (connection reset, timeout): counted as a failure."""

    error: str
    status_code: int = 0


def run_concurrently(calls: list, clients: int = 8) -> list:  # noqa: ANN001
    """Run one-argument callables (given a pooled HTTP client) from ``clients`` threads."""
    results: list = [None] * len(calls)
    position = iter(range(len(calls)))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=60.0) as client:
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                try:
                    results[i] = calls[i](client)
                except httpx.HTTPError as exc:
                    results[i] = NoAnswer(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
