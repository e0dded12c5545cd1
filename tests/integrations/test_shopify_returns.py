"""Shopify's returns/request, approve, decline and close webhooks mirrored into storeguard's RMAs."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.models import AuditEvent
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.shopify.returns import map_return
from storeguard.orders.models import LineItem, Order, Refund
from storeguard.returns import actions
from storeguard.returns.models import Return
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR
from tests.integrations.conftest import body_of, shopify_headers
from tests.integrations.payloads import (
    RETURN_ID,
    shopify_fulfillment,
    shopify_order,
    shopify_refund,
    shopify_return,
)

URL = "/webhooks/shopify/kari-sko.myshopify.com"


def _post(client: TestClient, payload: dict[str, Any], topic: str, webhook_id: str) -> None:
    body = body_of(payload)
    response = client.post(
        URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def shipped(client: TestClient, session: Session, shopify_shop: Shop) -> LineItem:
    """Shopify's order of two shoes, both shipped on 2 March 2025 (long past a 30-day window)."""
    _post(client, shopify_order(), "orders/create", "wh-order")
    _post(client, shopify_fulfillment(), "fulfillments/create", "wh-fulfillment")
    line = session.scalar(select(LineItem))
    assert line is not None
    return line


def _returns(session: Session) -> list[Return]:
    session.expire_all()
    return list(session.scalars(select(Return).order_by(Return.id)))


def _one(session: Session) -> Return:
    [rma] = _returns(session)
    return rma


def _delivery(session: Session, webhook_id: str) -> WebhookDelivery:
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == webhook_id))
    assert delivery is not None
    session.refresh(delivery)
    return delivery


def _audit(session: Session, rma: Return) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "return", AuditEvent.subject_id == str(rma.id))
            .order_by(AuditEvent.id)
        )
    )


def test_a_return_request_opens_a_requested_rma_with_its_lines_reason_and_note(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")

    rma = _one(session)
    assert (rma.platform_id, rma.status, rma.reason, rma.customer_note, rma.currency) == (
        str(RETURN_ID),
        "requested",
        "size",
        "Half a size too small",
        "NOK",
    )
    assert [(x.line_item_id, x.quantity, x.reason) for x in rma.lines] == [(shipped.id, 1, "size")]
    order = session.get(Order, shipped.order_id)
    assert order is not None and (rma.order_id, rma.customer_id) == (order.id, order.customer_id)
    assert (_delivery(session, "wh-rq").status, _delivery(session, "wh-rq").error) == ("processed", None)


def test_a_mirrored_request_past_the_window_is_recorded_and_the_audit_says_so(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")

    rma = _one(session)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "return.requested"))
    assert event is not None and event.actor == "webhook:shopify"
    assert {k: event.after[k] for k in ("status", "late", "mirrored", "past_window")} == {
        "status": "requested",
        "late": False,
        "mirrored": True,
        "past_window": True,
    }
    assert rma.status == "requested"


def test_approve_authorizes_the_mirrored_return(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")

    rma = _one(session)
    assert rma.status == "authorized" and rma.authorized_at is not None
    assert _audit(session, rma) == ["return.requested", "return.authorized"]


def test_decline_carries_shopifys_reason_and_note_to_the_rma(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    declined = shopify_return(
        status="declined", decline={"reason": "RETURN_PERIOD_ENDED", "note": "Bought in March"}
    )
    _post(client, declined, "returns/decline", "wh-dc")

    rma = _one(session)
    assert (rma.status, rma.decision_note) == ("declined", "The return period has ended: Bought in March")
    assert rma.closed_at is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "return.declined"))
    assert event is not None and event.reason == "The return period has ended: Bought in March"


def test_close_marks_an_authorized_return_received_and_refunds_nothing(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")
    _post(client, shopify_return(status="closed"), "returns/close", "wh-cl")

    rma = _one(session)
    assert (rma.status, rma.refunded, rma.refund_id) == ("received", 0, None)
    assert rma.received_at is not None
    assert session.scalar(select(func.count()).select_from(Refund)) == 0


def test_close_after_shopifys_refund_leaves_that_one_refund_on_the_order(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")
    _post(client, shopify_refund(), "refunds/create", "wh-rf")
    _post(client, shopify_return(status="closed"), "returns/close", "wh-cl")

    rma = _one(session)
    assert (rma.status, rma.refunded, rma.refund_id) == ("received", 0, None)
    assert [tuple(r) for r in session.execute(select(Refund.platform_id, Refund.amount))] == [
        ("3000000000000000001", 59975)
    ]


def test_the_same_delivery_twice_is_one_rma(client: TestClient, session: Session, shipped: LineItem) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    _post(client, shopify_return(), "returns/request", "wh-rq")

    assert len(_returns(session)) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.topic == "returns/request")
        )
        == 1
    )


def test_the_same_return_sent_again_under_another_delivery_id_is_one_rma_unchanged(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    _post(client, shopify_return(), "returns/request", "wh-rq-again")
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap-again")

    rma = _one(session)
    assert rma.status == "authorized"
    assert _audit(session, rma) == ["return.requested", "return.authorized"]
    assert _delivery(session, "wh-ap-again").status == "processed"


def test_approve_arriving_before_its_request_opens_and_authorizes_the_return(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")
    _post(client, shopify_return(), "returns/request", "wh-rq")

    rma = _one(session)
    assert rma.status == "authorized"
    assert _audit(session, rma) == ["return.requested", "return.authorized"]
    assert (_delivery(session, "wh-ap").status, _delivery(session, "wh-rq").status) == (
        "processed",
        "processed",
    )


def test_close_arriving_first_opens_authorizes_and_receives_the_return(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(status="closed"), "returns/close", "wh-cl")

    rma = _one(session)
    assert rma.status == "received"
    assert _audit(session, rma) == ["return.requested", "return.authorized", "return.received"]


def test_a_return_for_an_order_storeguard_has_not_received_waits_with_a_clear_error_and_no_rma(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")

    delivery = _delivery(session, "wh-rq")
    assert (delivery.status, delivery.attempts) == ("received", 1)
    assert delivery.error == "a return for order 820982911946154508, which storeguard has not received yet"
    assert _returns(session) == []


def test_a_return_naming_a_line_the_order_does_not_have_fails_with_the_reason_and_no_rma(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    payload = shopify_return()
    payload["return_line_items"][0]["fulfillment_line_item"]["line_item"] = {"id": 123}
    _post(client, payload, "returns/request", "wh-rq")

    delivery = _delivery(session, "wh-rq")
    assert (delivery.status, delivery.error) == (
        "failed",
        f"unusable payload: return {RETURN_ID} names line items ['123'] that order #5001 does not have",
    )
    assert _returns(session) == []


def test_shopify_approving_a_return_storeguard_declined_is_left_for_a_person(
    client: TestClient, session: Session, shipped: LineItem
) -> None:
    _post(client, shopify_return(), "returns/request", "wh-rq")
    rma_id = _one(session).id
    actions.decline_return(session, return_id=rma_id, actor=FACTORY_ACTOR, reason="Worn")
    session.commit()

    _post(client, shopify_return(status="open"), "returns/approve", "wh-ap")

    delivery = _delivery(session, "wh-ap")
    assert delivery.status == "failed"
    assert delivery.error == (
        f"unusable payload: the platform reports return {RETURN_ID} authorized, but storeguard's return"
        f" {rma_id} is declined: a person must settle which is right"
    )
    assert (_one(session).status, _one(session).decision_note) == ("declined", "Worn")


def test_a_return_of_an_order_not_yet_shipped_in_storeguard_waits_for_the_fulfillment(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _post(client, shopify_order(), "orders/create", "wh-order")
    _post(client, shopify_return(), "returns/request", "wh-rq")

    delivery = _delivery(session, "wh-rq")
    assert (delivery.status, delivery.attempts) == ("received", 1)
    assert (delivery.error or "").startswith("refused: order_not_fulfilled: order #5001 has not been shipped")
    assert _returns(session) == []


@pytest.mark.parametrize(
    ("shopify", "storeguard"),
    [
        ("SIZE_TOO_SMALL", "size"),
        ("SIZE_TOO_LARGE", "size"),
        ("UNWANTED", "changed_mind"),
        ("STYLE", "changed_mind"),
        ("COLOR", "changed_mind"),
        ("NOT_AS_DESCRIBED", "not_as_described"),
        ("WRONG_ITEM", "wrong_item"),
        ("DEFECTIVE", "damaged"),
        ("OTHER", "other"),
        ("UNKNOWN", "other"),
    ],
)
def test_shopify_return_reasons_map_to_storeguards(shopify: str, storeguard: str) -> None:
    payload = shopify_return()
    payload["return_line_items"][0]["return_reason"] = shopify

    mapped = map_return(payload)

    assert (mapped.reason, mapped.lines[0].reason, mapped.lines[0].platform_reason) == (
        storeguard,
        storeguard,
        shopify,
    )


def test_a_returns_reason_is_the_one_of_the_most_units() -> None:
    payload = shopify_return()
    [line] = payload["return_line_items"]
    payload["return_line_items"] = [
        dict(line, quantity=1, return_reason="DEFECTIVE"),
        dict(line, id=77002, quantity=2, return_reason="UNWANTED", customer_note="Changed my mind"),
    ]

    mapped = map_return(payload)

    assert (mapped.reason, mapped.note) == ("changed_mind", "Half a size too small\nChanged my mind")
    assert [(x.quantity, x.reason) for x in mapped.lines] == [(1, "damaged"), (2, "changed_mind")]
