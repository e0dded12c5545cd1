"""The inbox under faults: unusable payloads fail at once, waiting deliveries show, busy rows are skipped."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.integrations.enums import DeliverySource, DeliveryStatus
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.stripe.signature import signature_header
from storeguard.integrations.webhooks.inbox import process_delivery, record_delivery
from storeguard.shops.models import Shop
from tests.integrations.conftest import shopify_headers

URL = "/webhooks/shopify/kari-sko.myshopify.com"


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _post_raw(client: TestClient, body: bytes, webhook_id: str = "wh-bad"):  # noqa: ANN202
    return client.post(
        URL, content=body, headers=shopify_headers(body, topic="orders/create", webhook_id=webhook_id)
    )


def _delivery(session: Session) -> WebhookDelivery:
    session.expire_all()
    return session.scalars(select(WebhookDelivery)).one()


def test_a_signed_body_that_is_not_json_fails_at_once_without_retry(client, session, shopify_shop: Shop):
    assert _post_raw(client, b"this is not json").status_code == 200
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.failed, 1)
    assert delivery.error == "unusable payload: the body is not JSON"


def test_a_signed_body_nested_too_deep_fails_at_once_without_retry(client, session, shopify_shop: Shop):
    assert _post_raw(client, _nested(100).encode()).status_code == 200
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.failed, 1)
    assert delivery.error == "unusable payload: the body is nested deeper than 64 levels"


def test_a_signed_body_past_the_parsers_recursion_fails_at_once(client, session, shopify_shop: Shop):
    assert _post_raw(client, _nested(5000).encode()).status_code == 200
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.failed, 1)


def test_a_signed_stripe_event_nested_5000_deep_is_refused_and_not_stored(client, session, stripe_secret):
    body = _nested(5000).encode()
    header = signature_header(body, stripe_secret, int(time.time()))
    response = client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header})
    assert (response.status_code, response.json()["code"]) == (422, "event_not_json")
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def _waiting_delivery(session: Session, shop: Shop, age: timedelta) -> int:
    pk = record_delivery(
        session,
        source=DeliverySource.shopify,
        delivery_id=f"old-{age.total_seconds()}",
        topic="orders/create",
        body=b"{}",
        headers={},
        shop_id=shop.id,
    )
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == pk).values(received_at=now() - age))
    session.flush()
    return pk


def test_healthz_says_degraded_while_a_delivery_waits_past_the_threshold(client, session, shopify_shop: Shop):
    _waiting_delivery(session, shopify_shop, timedelta(minutes=10))
    _waiting_delivery(session, shopify_shop, timedelta(seconds=5))
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert (body["inbox"]["waiting"], body["inbox"]["stale"], body["inbox"]["failed"]) == (2, 1, 0)
    assert 599 < body["inbox"]["oldest_waiting_seconds"] < 700


def test_healthz_says_ok_with_an_empty_inbox(client):
    body = client.get("/healthz").json()
    assert (body["status"], body["inbox"]) == (
        "ok",
        {"waiting": 0, "oldest_waiting_seconds": None, "stale": 0, "failed": 0},
    )


def test_the_deliveries_list_shows_the_stale_ones(client, session, shopify_shop: Shop, owner_headers):
    old = _waiting_delivery(session, shopify_shop, timedelta(minutes=10))
    _waiting_delivery(session, shopify_shop, timedelta(seconds=5))
    page = client.get("/v1/integrations/deliveries?stale=true", headers=owner_headers).json()
    assert (page["total"], [item["id"] for item in page["items"]]) == (1, [old])


@pytest.fixture
def postgres_only(backend):  # noqa: ANN001, ANN201
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")


def test_a_delivery_another_process_is_working_on_is_skipped_not_waited_for(
    postgres_only, committing_engine, shopify_shop_committed
):
    with Session(committing_engine) as first, Session(committing_engine) as second:
        pk = shopify_shop_committed
        first.execute(select(WebhookDelivery).where(WebhookDelivery.id == pk).with_for_update())
        started = time.monotonic()
        assert process_delivery(second, pk) is None
        assert time.monotonic() - started < 1.0
        first.rollback()
        assert process_delivery(second, pk) == DeliveryStatus.ignored


@pytest.fixture
def shopify_shop_committed(committing_engine) -> int:  # noqa: ANN001
    from tests.factories import make_shop

    with Session(committing_engine) as session:
        shop = make_shop(session, domain="skip.myshopify.com")
        pk = record_delivery(
            session,
            source=DeliverySource.shopify,
            delivery_id="busy-1",
            topic="shop/update",
            body=b"{}",
            headers={},
            shop_id=shop.id,
        )
        session.commit()
    return pk
