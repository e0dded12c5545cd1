"""Actions out to Shopify: one decision, one call; throttling, backoff, dead letters, retry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen, now
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import MAX_ATTEMPTS, deliver_due
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.mirror import after_ingest as hooks
from storeguard.integrations.platforms.shopify import outbound
from storeguard.integrations.webhooks.worker import hand_over_events
from storeguard.lists.actions import create_entry
from storeguard.orders.models import Order
from storeguard.screening.models import Decision
from storeguard.shops.models import Shop
from tests.factories import make_customer, make_order, make_shop
from tests.integrations.conftest import OPERATOR, body_of, shopify_headers
from tests.integrations.fake_shopify import FakeShopify
from tests.integrations.payloads import BIG_ORDER_ID, shopify_order

TOKEN = "shpat_test_token"


@pytest.fixture
def fake() -> Iterator[FakeShopify]:
    server = FakeShopify(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def connected_shop(session: Session, shopify_shop: Shop, fake: FakeShopify) -> Shop:
    configure_shop(session, shopify_shop.domain, actor=OPERATOR, access_token=TOKEN, api_base_url=fake.url)
    session.commit()
    return shopify_shop


def _deliver(session: Session) -> int:
    """What the worker's pass does: hand domain events to Shopify, then send its due calls."""
    hand_over_events(session)
    return deliver_due(session, outbound.senders(session))


def _messages(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_block_decision_cancels_in_shopify_exactly_once_when_the_webhook_comes_three_times(
    client: TestClient,
    session: Session,
    connected_shop: Shop,
    fake: FakeShopify,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decisions: list[int] = []

    def block(sess: Session, order: Order) -> None:
        # Stands in for screening: a block decision cancels the order in Shopify.
        decisions.append(order.id)
        outbound.request_order_cancel(
            sess,
            order,
            reason="fraud",
            refund=True,
            restock=True,
            notify=False,
            staff_note="blocked by storeguard screening",
        )

    monkeypatch.setattr(hooks, "screen_order", block)
    body = body_of(shopify_order())
    headers = shopify_headers(body, topic="orders/create", webhook_id="wh-1")
    answers = [
        client.post("/webhooks/shopify/kari-sko.myshopify.com", content=body, headers=headers).status_code
        for _ in range(3)
    ]

    assert _deliver(session) == 1
    assert _deliver(session) == 0
    assert answers == [200, 200, 200]
    assert len(decisions) == 1
    assert fake.calls == [
        {
            "mutation": "orderCancel",
            "variables": {
                "orderId": f"gid://shopify/Order/{BIG_ORDER_ID}",
                "reason": "FRAUD",
                "refund": True,
                "restock": True,
                "notifyCustomer": False,
                "staffNote": "blocked by storeguard screening",
            },
        }
    ]
    assert fake.refused == []
    [message] = _messages(session)
    assert message.status == "sent"
    assert message.payload["result"]["job"] == {"id": "gid://shopify/Job/1", "done": False}


def test_a_webhook_for_a_blocked_email_is_screened_and_cancelled_in_shopify_once_over_three_deliveries(
    client: TestClient, session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    create_entry(
        session,
        shop_id=connected_shop.id,
        type="email",
        value="ola.nordmann@example.no",
        actor=OPERATOR,
        reason_code="chargeback_abuse",
        evidence={"notes": ["three chargebacks in May"]},
    )
    session.commit()
    body = body_of(shopify_order())
    headers = shopify_headers(body, topic="orders/create", webhook_id="wh-blocked")

    answers = [
        client.post("/webhooks/shopify/kari-sko.myshopify.com", content=body, headers=headers).status_code
        for _ in range(3)
    ]
    _deliver(session)
    _deliver(session)

    order = session.scalar(select(Order).where(Order.platform_id == str(BIG_ORDER_ID)))
    decisions = session.scalars(select(Decision).where(Decision.order_id == order.id)).all()
    assert answers == [200, 200, 200]
    assert [d.decision for d in decisions] == ["block"]
    assert (order.status, order.cancel_reason) == ("cancelled", "fraud")
    assert [(c["mutation"], c["variables"]["orderId"], c["variables"]["reason"]) for c in fake.calls] == [
        ("orderCancel", f"gid://shopify/Order/{BIG_ORDER_ID}", "FRAUD")
    ]
    assert fake.calls[0]["variables"]["refund"] is True and fake.calls[0]["variables"]["restock"] is True


def test_the_same_decision_twice_queues_one_call(
    session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    order = make_order(session, connected_shop, platform_id="123")
    first = outbound.request_order_cancel(
        session, order, reason="fraud", refund=False, restock=False, notify=False
    )
    second = outbound.request_order_cancel(
        session, order, reason="fraud", refund=False, restock=False, notify=False
    )
    session.commit()
    assert first is not None and second is not None and first.id == second.id
    _deliver(session)
    assert len(fake.calls) == 1


def test_no_call_is_queued_for_a_shop_without_shopify_credentials(session: Session) -> None:
    shop = make_shop(session, platform="woocommerce")
    order = make_order(session, shop, platform_id="9")
    assert (
        outbound.request_order_cancel(
            session, order, reason="fraud", refund=False, restock=False, notify=False
        )
        is None
    )
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_throttled_answers_wait_for_the_bucket_to_refill(
    session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    order = make_order(session, connected_shop, platform_id="124")
    outbound.request_tags(session, order, ["storeguard-blocked"], dedupe_key="tag:124")
    session.commit()
    fake.throttle_next = 1
    start = now()

    with frozen(start):
        assert _deliver(session) == 0
    [message] = _messages(session)
    # requestedQueryCost 10, nothing available, restoreRate 100/s → one second.
    assert (message.status, message.attempts, message.next_attempt_at) == (
        "pending",
        1,
        start + timedelta(seconds=1),
    )
    with frozen(start + timedelta(milliseconds=500)):
        assert _deliver(session) == 0  # not due yet: Shopify is not asked again early
    with frozen(start + timedelta(seconds=1)):
        assert _deliver(session) == 1
    assert fake.calls == [
        {
            "mutation": "tagsAdd",
            "variables": {"id": "gid://shopify/Order/124", "tags": ["storeguard-blocked"]},
        }
    ]


def test_http_429_honours_retry_after(session: Session, connected_shop: Shop, fake: FakeShopify) -> None:
    customer = make_customer(session, connected_shop, platform_id="77")
    outbound.request_customer_disable(session, customer, dedupe_key="disable:77")
    session.commit()
    fake.too_many_next = 1
    start = now()
    with frozen(start):
        _deliver(session)
    [message] = _messages(session)
    assert message.next_attempt_at == start + timedelta(seconds=2)
    with frozen(start + timedelta(seconds=2)):
        assert _deliver(session) == 1
    assert fake.calls[0]["variables"] == {"id": "gid://shopify/Customer/77", "tags": ["storeguard-disabled"]}


def test_server_errors_back_off_then_go_dead_and_a_person_can_retry(
    client: TestClient,
    session: Session,
    connected_shop: Shop,
    fake: FakeShopify,
    owner_headers: dict[str, str],
) -> None:
    order = make_order(session, connected_shop, platform_id="125")
    outbound.request_risk_assessment(
        session, order, level="high", facts=[("email on blocklist", "negative")], dedupe_key="risk:125"
    )
    session.commit()
    fake.fail_next = MAX_ATTEMPTS
    at = now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with frozen(at):
            _deliver(session)
        [message] = _messages(session)
        assert message.attempts == attempt
        at = message.next_attempt_at
    assert message.status == "dead" and "503" in (message.last_error or "")
    assert fake.calls == []

    listed = client.get("/v1/integrations/outbox", headers=owner_headers).json()
    assert [(m["id"], m["status"]) for m in listed["items"]] == [(message.id, "dead")]
    retried = client.post(f"/v1/integrations/outbox/{message.id}/retry", headers=owner_headers)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert _deliver(session) == 1
    assert [c["mutation"] for c in fake.calls] == ["orderRiskAssessmentCreate"]
    assert fake.calls[0]["variables"]["orderRiskAssessmentInput"]["facts"] == [
        {"description": "email on blocklist", "sentiment": "NEGATIVE"}
    ]


def test_a_refusal_by_shopify_is_a_dead_letter_at_once(
    session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    order = make_order(session, connected_shop, platform_id="126")
    outbound.request_order_cancel(session, order, reason="customer", refund=False, restock=False, notify=True)
    session.commit()
    fake.user_error_next = 1
    _deliver(session)
    [message] = _messages(session)
    assert (message.status, message.attempts) == ("dead", 1)
    assert "already cancelled" in (message.last_error or "")


def test_a_wrong_access_token_is_a_dead_letter(
    session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    configure_shop(session, connected_shop.domain, actor=OPERATOR, access_token="shpat_revoked")
    order = make_order(session, connected_shop, platform_id="127")
    outbound.request_staff_note(session, order, "blocked", dedupe_key="note:127")
    session.commit()
    _deliver(session)
    [message] = _messages(session)
    assert message.status == "dead" and "401" in (message.last_error or "")
    assert fake.refused == ["token"]


def test_every_queued_mutation_has_the_shape_shopify_accepts(
    session: Session, connected_shop: Shop, fake: FakeShopify
) -> None:
    from storeguard.orders.models import LineItem, Refund, RefundLine

    order = make_order(session, connected_shop, platform_id="128")
    line = session.scalar(select(LineItem).where(LineItem.order_id == order.id))
    assert line is not None
    line.platform_id = "555"
    refund = Refund(
        order_id=order.id,
        amount=5000,
        shipping_amount=990,
        currency="NOK",
        actor="test",
        expected_arrival_from=now().date(),
        expected_arrival_to=now().date(),
        lines=[RefundLine(line_item_id=line.id, quantity=1, amount=5000, restock=True)],
    )
    session.add(refund)
    session.flush()
    outbound.request_refund(session, order, refund, notify=True)
    outbound.request_staff_note(session, order, "see case 12", dedupe_key="note:128")
    outbound.request_risk_assessment(
        session, order, level="medium", facts=[("new device", "neutral")], dedupe_key="risk:128"
    )
    session.commit()
    assert _deliver(session) == 3
    assert fake.refused == []
    refund_call = fake.calls[0]
    assert refund_call["variables"]["input"]["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/555", "quantity": 1, "restockType": "RETURN"}
    ]
    assert refund_call["variables"]["input"]["shipping"] == {"amount": "9.90"}
