"""Conformance: every Shopify REST shape from the shared fixtures goes in through its webhook topic."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.disputes.models import Dispute
from storeguard.integrations.models import WebhookDelivery
from storeguard.orders.models import Fulfillment, LineItem, Order, Refund
from storeguard.shops.models import Shop
from tests.conftest import shared_fixture
from tests.integrations.conftest import body_of, shopify_headers

URL = "/webhooks/shopify/kari-sko.myshopify.com"


_DECIMAL = re.compile(r"-?\d+\.\d+")
_MONEY_KEY = re.compile(r"(price|amount|subtotal|tax|discount|discounts|total)(_set)?$|^total_|_price_")


def as_numbers(value: Any, key: str = "") -> Any:
    """Return a payload with its money as JSON numbers (``195.66``), as Shopify also sends it."""
    if isinstance(value, dict):
        return {k: as_numbers(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [as_numbers(v, key) for v in value]
    if isinstance(value, str) and _MONEY_KEY.search(key) and _DECIMAL.fullmatch(value):
        return float(value)  # json.dumps writes the shortest text: the same digits
    return value


def _resources(name: str, key: str, money_as: str = "strings") -> list[dict]:
    data = json.loads(shared_fixture("shopify/rest", name).read_text())
    value = data[key] if isinstance(data, dict) else data
    resources = value if isinstance(value, list) else [value]
    return [as_numbers(r) for r in resources] if money_as == "numbers" else resources


def test_as_numbers_turns_money_strings_into_the_same_numbers():
    payload = {"total_price": "598.94", "line_items": [{"price": "199.00", "sku": "1.5"}], "name": "#1001"}
    assert json.dumps(as_numbers(payload)) == (
        '{"total_price": 598.94, "line_items": [{"price": 199.0, "sku": "1.5"}], "name": "#1001"}'
    )


def _deliver(client: TestClient, topic: str, payload: dict, webhook_id: str) -> None:
    body = body_of(payload)
    response = client.post(
        URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("money_as", ["strings", "numbers"])
def test_every_shopify_rest_shape_imports_through_its_topic(
    client: TestClient, session: Session, shopify_shop: Shop, money_as: str
) -> None:
    shopify_shop.currency = "USD"
    session.commit()
    plan = [
        ("order.json", "order", "orders/create"),
        ("orders.json", "orders", "orders/updated"),
        ("refund.json", "refund", "refunds/create"),
        ("fulfillment.json", "fulfillment", "fulfillments/create"),
        ("customer.json", "customer", "customers/create"),
        ("customers_search.json", "customers", "customers/update"),
        ("customer_saved_search_customers.json", "customers", "customers/update"),
        ("dispute.json", "dispute", "disputes/create"),
        ("disputes.json", "disputes", "disputes/update"),
    ]
    n = 0
    for name, key, topic in plan:
        for resource in _resources(name, key, money_as):
            n += 1
            _deliver(client, topic, resource, f"fx-{n}")

    statuses = {d.delivery_id: (d.status, d.error) for d in session.scalars(select(WebhookDelivery))}
    assert {s for s, _ in statuses.values()} == {"processed"}, statuses
    order = session.scalar(select(Order).where(Order.platform_id == "450789469"))
    assert order is not None
    # orders.json holds the same order at the same version with other totals: the later topic wins.
    assert (order.number, order.total, order.tax, order.currency, order.card_last4) == (
        "#1001",
        59894,
        1194,
        "USD",
        "4242",
    )
    assert order.financial_status in {"authorized", "paid", "partially_refunded", "refunded"}
    refund = session.scalar(select(Refund).where(Refund.platform_id == "509562969"))
    assert refund is not None and refund.amount == 20900 and len(refund.lines) == 2
    assert all(line.restock for line in refund.lines)  # the older shape's refund-wide restock flag
    lines = {
        li.platform_id: li for li in session.scalars(select(LineItem).where(LineItem.order_id == order.id))
    }
    assert (lines["703073504"].refunded_quantity, lines["703073504"].restocked_quantity) == (1, 1)
    assert session.scalar(select(Fulfillment).where(Fulfillment.platform_id == "255858046")) is not None
    customer = session.scalar(select(Customer).where(Customer.platform_id == "207119551"))
    assert customer is not None and customer.email == "bob.norman@hostmail.com"
    disputes = list(session.scalars(select(Dispute)))
    assert {d.gateway for d in disputes} == {"shopify_payments"}
    assert {d.gateway_dispute_id for d in disputes} >= {"1052608616"}


def test_topics_storeguard_does_not_use_are_stored_and_ignored(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    for i, (name, key, topic) in enumerate(
        [
            ("draft_order.json", "draft_order", "draft_orders/create"),
            ("gift_card.json", "gift_card", "gift_cards/create"),
            ("shop.json", "shop", "shop/update"),
            ("order_risk.json", "risk", "order_risks/create"),
        ]
    ):
        _deliver(client, topic, _resources(name, key)[0], f"ig-{i}")
    assert {d.status for d in session.scalars(select(WebhookDelivery))} == {"ignored"}
    assert session.scalar(select(Order)) is None
