"""Shopify webhooks through the HTTP app: verified, stored once, processed into orders."""

from __future__ import annotations

import copy

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.enums import DeliveryStatus, SecretName, SecretScope
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.secrets import set_secret
from storeguard.integrations.webhooks.inbox import process_pending
from storeguard.orders.models import Fulfillment, LineItem, Order, Refund, Transaction
from storeguard.shops.models import Shop
from tests.integrations.conftest import OPERATOR, SHOP_SECRET, body_of, shopify_headers
from tests.integrations.payloads import BIG_CUSTOMER_ID, BIG_ORDER_ID, shopify_order, shopify_refund

URL = "/webhooks/shopify/kari-sko.myshopify.com"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _post(client: TestClient, payload: dict, *, topic: str = "orders/create", webhook_id: str = "wh-1", **kw):
    body = body_of(payload)
    return client.post(
        URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id, **kw)
    )


def test_order_webhook_creates_the_order_and_customer_with_every_field(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    response = _post(client, shopify_order())

    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "delivery_id": "wh-1"}
    order = session.scalar(select(Order).where(Order.platform_id == str(BIG_ORDER_ID)))
    assert order is not None
    assert order.platform_id == "820982911946154508"
    assert (order.number, order.currency, order.source) == ("#5001", "NOK", "shopify")
    assert (order.subtotal, order.tax, order.discount, order.shipping, order.total) == (
        129950,
        32488,
        10000,
        9900,
        162338,
    )
    assert order.financial_status == "paid"
    assert order.browser_ip == "203.0.113.7"
    assert (order.card_bin, order.card_last4) == ("454545", "4242")
    assert order.tags == ["vip", "repeat"]
    assert order.shipping_address == {
        "first_name": "Ola",
        "last_name": "Nordmann",
        "address1": "Storgata 1",
        "city": "Oslo",
        "zip": "0155",
        "country_code": "NO",
        "phone": "+4791234567",
    }
    customer = session.get(Customer, order.customer_id)
    assert customer is not None
    assert (customer.platform_id, customer.email, customer.first_name) == (
        str(BIG_CUSTOMER_ID),
        "ola.nordmann@example.no",
        "Ola",
    )
    line = session.scalar(select(LineItem).where(LineItem.order_id == order.id))
    assert line is not None
    assert (line.platform_id, line.quantity, line.unit_price, line.discount) == (
        "1000000000000000001",
        2,
        64975,
        10000,
    )
    assert line.variant == {"option1": "42", "option2": "Blå", "variant_id": "8001"}
    payment = session.scalar(select(Transaction).where(Transaction.order_id == order.id))
    assert payment is not None
    assert (payment.kind, payment.amount, payment.currency) == ("sale", 162338, "NOK")
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery is not None
    assert (delivery.status, delivery.topic, delivery.attempts) == ("processed", "orders/create", 1)


def test_headers_without_the_x_prefix_are_accepted(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    response = _post(client, shopify_order(), prefix="")
    assert response.status_code == 200
    assert _count(session, Order) == 1


def test_previous_secret_still_verifies_during_rotation(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    set_secret(
        session,
        scope=SecretScope.shop,
        owner=shopify_shop.domain,
        name=SecretName.webhook_secret,
        value="shpss_new",
        actor=OPERATOR,
    )
    session.commit()

    old = _post(client, shopify_order(), webhook_id="wh-old", secret=SHOP_SECRET)
    new = _post(client, shopify_order(id=1, name="#5002"), webhook_id="wh-new", secret="shpss_new")
    wrong = _post(client, shopify_order(id=2, name="#5003"), webhook_id="wh-x", secret="shpss_other")

    assert (old.status_code, new.status_code, wrong.status_code) == (200, 200, 401)
    assert _count(session, Order) == 2


def test_bad_or_missing_signature_answers_401_with_a_code_and_stores_nothing(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    body = body_of(shopify_order())
    bad = shopify_headers(body, topic="orders/create", webhook_id="wh-1", secret="wrong")
    missing = {k: v for k, v in bad.items() if k != "X-Shopify-Hmac-Sha256"}

    r1 = client.post(URL, content=body, headers=bad)
    r2 = client.post(URL, content=body, headers=missing)
    r3 = client.post("/webhooks/shopify/unknown.myshopify.com", content=body, headers=bad)

    assert (r1.status_code, r1.json()["code"]) == (401, "signature_invalid")
    assert (r2.status_code, r2.json()["code"]) == (401, "signature_missing")
    assert (r3.status_code, r3.json()["code"]) == (401, "webhook_not_configured")
    assert _count(session, WebhookDelivery) == 0
    assert _count(session, Order) == 0


def test_a_body_altered_after_signing_is_refused(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    body = body_of(shopify_order())
    headers = shopify_headers(body, topic="orders/create", webhook_id="wh-1")
    tampered = body.replace(b"1623.38", b"1.00")
    assert client.post(URL, content=tampered, headers=headers).status_code == 401
    assert _count(session, WebhookDelivery) == 0


def test_repeated_delivery_answers_200_and_changes_nothing(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    first = _post(client, shopify_order())
    order = session.scalar(select(Order))
    assert order is not None
    stamp = order.updated_at
    # The same webhook id again, even with a changed body, is the same delivery.
    again = _post(client, shopify_order(note="changed"))
    third = _post(client, shopify_order())

    assert first.json()["status"] == "accepted"
    assert again.status_code == third.status_code == 200
    assert again.json() == {"status": "duplicate", "delivery_id": "wh-1"}
    assert _count(session, WebhookDelivery) == 1
    assert _count(session, Order) == 1
    session.refresh(order)
    assert (order.note, order.updated_at) == ("ring the bell", stamp)


def test_a_crash_after_the_acknowledgement_loses_nothing(
    app, client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    app.state.process_webhooks_inline = False  # the process dies right after answering 200
    response = _post(client, shopify_order())
    assert response.status_code == 200
    assert _count(session, Order) == 0
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery is not None and delivery.status == DeliveryStatus.received

    result = process_pending(session)  # the restart finishes the work

    assert (result.processed, result.failed) == (1, 0)
    assert _count(session, Order) == 1
    assert process_pending(session).processed == 0  # and only once


def test_unknown_topics_are_stored_and_ignored(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    response = _post(client, {"id": 1, "title": "Hat"}, topic="collections/create")
    assert response.status_code == 200
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery is not None
    assert (delivery.status, delivery.topic, delivery.error) == ("ignored", "collections/create", None)


def test_an_older_update_never_overwrites_a_newer_one(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    newer = shopify_order(updated_at="2025-03-02T00:00:00Z", note="newer", tags="fraud-check")
    older = shopify_order(updated_at="2025-03-01T09:00:00Z", note="older")
    _post(client, newer, topic="orders/updated", webhook_id="wh-new")
    _post(client, older, topic="orders/create", webhook_id="wh-old")
    order = session.scalar(select(Order))
    assert order is not None
    session.refresh(order)
    assert (order.note, order.tags) == ("newer", ["fraud-check"])


def test_cancelled_order_webhook_records_the_cancellation_reason(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_order())
    cancelled = shopify_order(
        cancelled_at="2025-03-02T08:00:00Z",
        cancel_reason="fraud",
        updated_at="2025-03-02T08:00:00Z",
        financial_status="voided",
    )
    _post(client, cancelled, topic="orders/cancelled", webhook_id="wh-2")
    order = session.scalar(select(Order))
    assert order is not None
    session.refresh(order)
    assert (order.status, order.cancel_reason, order.financial_status) == ("cancelled", "fraud", "voided")
    assert order.cancelled_at is not None and order.cancelled_at.isoformat() == "2025-03-02T08:00:00+00:00"


def test_refund_webhook_records_lines_restock_and_money(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_order())
    response = _post(client, shopify_refund(), topic="refunds/create", webhook_id="wh-r1")
    _post(client, shopify_refund(), topic="refunds/create", webhook_id="wh-r1-again-from-another-topic")

    assert response.status_code == 200
    refunds = list(session.scalars(select(Refund)))
    assert len(refunds) == 1
    refund = refunds[0]
    assert (refund.platform_id, refund.amount, refund.currency, refund.note) == (
        "3000000000000000001",
        59975,
        "NOK",
        "wrong size",
    )
    assert [(rl.quantity, rl.amount, rl.restock) for rl in refund.lines] == [(1, 59975, True)]
    line = session.scalar(select(LineItem))
    assert line is not None
    session.refresh(line)
    assert (line.refunded_quantity, line.restocked_quantity) == (1, 1)
    tx = session.scalar(select(Transaction).where(Transaction.kind == "refund"))
    assert tx is not None and (tx.amount, tx.gateway_reference) == (59975, "re_abc")


def test_refund_arriving_before_its_order_waits_and_then_applies(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_refund(), topic="refunds/create", webhook_id="wh-r1")
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery is not None
    session.refresh(delivery)
    assert (
        delivery.status == "received"
        and delivery.attempts == 1
        and "not received yet" in (delivery.error or "")
    )
    _post(client, shopify_order())

    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.topic == "refunds/create"))
    assert delivery is not None
    delivery.next_attempt_at = delivery.received_at  # the backoff has passed
    session.commit()
    process_pending(session)

    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("processed", 2)
    assert _count(session, Refund) == 1


def test_no_restock_refund_type_does_not_count_as_restocked(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_order())
    refund = shopify_refund()
    refund["refund_line_items"][0]["restock_type"] = "no_restock"
    _post(client, refund, topic="refunds/create", webhook_id="wh-r1")
    line = session.scalar(select(LineItem))
    assert line is not None
    session.refresh(line)
    assert (line.refunded_quantity, line.restocked_quantity) == (1, 0)


def test_fulfillment_webhooks_create_then_update_one_fulfillment(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_order())
    fulfillment = {
        "id": 5000000000000000001,
        "order_id": BIG_ORDER_ID,
        "status": "success",
        "tracking_company": "Posten",
        "tracking_number": "70701",
        "created_at": "2025-03-02T10:00:00Z",
        "line_items": [{"id": 1000000000000000001, "quantity": 2}],
    }
    _post(client, fulfillment, topic="fulfillments/create", webhook_id="wh-f1")
    delivered = {
        **copy.deepcopy(fulfillment),
        "shipment_status": "delivered",
        "updated_at": "2025-03-04T10:00:00Z",
    }
    _post(client, delivered, topic="fulfillments/update", webhook_id="wh-f2")

    rows = list(session.scalars(select(Fulfillment)))
    assert len(rows) == 1
    session.refresh(rows[0])
    assert (rows[0].state, rows[0].carrier, rows[0].tracking_number) == ("delivered", "Posten", "70701")
    line = session.scalar(select(LineItem))
    assert line is not None
    session.refresh(line)
    assert line.fulfilled_quantity == 2


def test_customer_update_webhook_mirrors_the_customer(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    customer = {
        "id": BIG_CUSTOMER_ID,
        "email": "kari@example.no",
        "first_name": "Kari",
        "last_name": "Nordmann",
        "state": "disabled",
        "tags": "chargeback",
        "updated_at": "2025-03-01T00:00:00Z",
    }
    _post(client, customer, topic="customers/create", webhook_id="wh-c1")
    _post(
        client,
        {**customer, "first_name": "Kari Anne", "updated_at": "2025-03-02T00:00:00Z"},
        topic="customers/update",
        webhook_id="wh-c2",
    )

    rows = list(session.scalars(select(Customer)))
    assert len(rows) == 1
    session.refresh(rows[0])
    customer = rows[0]
    assert (customer.platform_id, customer.first_name, customer.platform_account_state, customer.tags) == (
        str(BIG_CUSTOMER_ID),
        "Kari Anne",
        "disabled",
        ["chargeback"],
    )
    assert customer.state == "enabled"  # Shopify's state is a fact; only storeguard disables


def test_a_malformed_payload_is_kept_as_failed_with_the_reason(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    response = _post(client, shopify_order(total_price="12.345"))
    assert response.status_code == 200
    delivery = session.scalar(select(WebhookDelivery))
    assert delivery is not None
    session.refresh(delivery)
    assert delivery.status == "failed"
    assert "total_price" in (delivery.error or "")
    assert _count(session, Order) == 0


def test_a_delivery_for_another_shop_is_refused(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    response = _post(client, shopify_order(), shop="someone-else.myshopify.com")
    assert (response.status_code, response.json()["code"]) == (401, "shop_mismatch")
    assert _count(session, WebhookDelivery) == 0
