"""Shopify's card expiry and client details reach the order, so a card is one card and a browser a browser."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Identifier
from storeguard.integrations.platforms.shopify.mapping import map_order
from storeguard.orders.models import Order
from storeguard.shops.models import Shop
from tests.integrations.conftest import body_of, shopify_headers
from tests.integrations.payloads import BIG_ORDER_ID, shopify_order

CARD = {
    "credit_card_bin": "454545",
    "credit_card_number": "•••• •••• •••• 4242",
    "credit_card_company": "Visa",
    "credit_card_expiration_month": 12,
    "credit_card_expiration_year": 2027,
}


def test_map_order_reads_the_card_expiry_and_the_user_agent() -> None:
    mapped = map_order(shopify_order(payment_details=CARD))

    assert (mapped.card_bin, mapped.card_last4, mapped.card_expiry) == ("454545", "4242", "12/27")
    assert (mapped.browser_ip, mapped.user_agent, mapped.payment_fingerprint) == (
        "203.0.113.7",
        "Mozilla/5.0",
        None,
    )


def test_map_order_reads_the_card_expiry_from_the_orders_transactions() -> None:
    order = shopify_order(transactions=[{"kind": "sale", "payment_details": CARD}])

    assert map_order(order).card_expiry == "12/27"


def test_map_order_without_an_expiry_leaves_it_empty() -> None:
    assert map_order(shopify_order()).card_expiry is None


def test_an_order_webhook_with_the_card_expiry_records_one_card_and_one_browser(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    body = body_of(shopify_order(payment_details=CARD))

    response = client.post(
        "/webhooks/shopify/kari-sko.myshopify.com",
        content=body,
        headers=shopify_headers(body, topic="orders/create", webhook_id="wh-card"),
    )

    assert response.status_code == 200
    order = session.scalar(select(Order).where(Order.platform_id == str(BIG_ORDER_ID)))
    assert order is not None and (order.card_expiry, order.user_agent) == ("12/27", "Mozilla/5.0")
    kinds = dict(
        session.execute(
            select(Identifier.type, Identifier.value).where(
                Identifier.type.in_(["payment_fingerprint", "card_number", "ip_user_agent"])
            )
        ).all()
    )
    assert kinds["payment_fingerprint"] == "card:454545:4242:1227"
    assert kinds["card_number"] == "card:454545:4242"
    assert kinds["ip_user_agent"].startswith("203.0.113.7#")
