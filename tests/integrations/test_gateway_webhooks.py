"""Stripe, Square and PayPal dispute events through the HTTP app, and the shared fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.core.config import get_settings
from storeguard.disputes.models import Dispute, DisputeEvent
from storeguard.integrations.actions import configure_gateway
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.shopify.signature import compute_signature
from storeguard.integrations.platforms.square.signature import compute_signature as square_signature
from storeguard.integrations.platforms.stripe.signature import signature_header
from storeguard.orders.models import Order, Refund, Transaction
from tests.conftest import shared_fixture
from tests.factories import make_order, make_shop
from tests.integrations.conftest import OPERATOR
from tests.integrations.test_signatures import make_paypal_certificate, paypal_headers

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _stripe(client: TestClient, body: bytes, secret: str, ts: int | None = None):
    ts = ts if ts is not None else int(NOW.timestamp())
    with frozen(NOW):
        return client.post(
            "/webhooks/stripe", content=body, headers={"Stripe-Signature": signature_header(body, secret, ts)}
        )


def _event(event_id: str, kind: str, obj: dict, created: int = 1_700_000_000) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": kind, "created": created, "data": {"object": obj}}
    ).encode()


def _dispute(status: str, **kw) -> dict:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 4999,
        "currency": "nok",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "reason": "fraudulent",
        "status": status,
        "created": 1_699_000_000,
        "evidence_details": {"due_by": 1_701_000_000},
        "metadata": {},
        **kw,
    }


def test_stripe_dispute_lifecycle_from_shared_fixtures_ends_in_one_dispute(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    folder = "stripe/dj-stripe/events"
    created = shared_fixture(folder, "event_charge.dispute.created.json").read_bytes()
    closed = shared_fixture(folder, "event_charge.dispute.closed.json").read_bytes()
    updated = shared_fixture(folder, "event_charge.dispute.updated.json").read_bytes()

    answers = [_stripe(client, body, stripe_secret).json()["status"] for body in (created, closed, updated)]

    # updated and closed share one event id upstream: the second arrival is a duplicate delivery.
    assert answers == ["accepted", "accepted", "duplicate"]
    disputes = list(session.scalars(select(Dispute)))
    assert len(disputes) == 1
    dispute = disputes[0]
    assert (dispute.gateway, dispute.gateway_dispute_id, dispute.status) == (
        "stripe",
        "dp_1JAyTwJSZQVUcJYgPqasUEn1",
        "won",
    )
    assert (dispute.amount, dispute.currency, dispute.reason) == (1000, "USD", "fraudulent")
    assert dispute.evidence_due_at == datetime.fromtimestamp(1626566399, UTC)
    assert [e.kind for e in dispute.events] == ["charge.dispute.created", "charge.dispute.closed"]


def test_stripe_duplicate_event_id_from_shared_fixtures_is_processed_once(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    folder = "stripe/dj-stripe/events"
    updated = shared_fixture(folder, "event_charge.dispute.updated.json").read_bytes()
    withdrawn = shared_fixture(folder, "event_charge.dispute.funds_withdrawn.json").read_bytes()
    assert json.loads(updated)["id"] == json.loads(withdrawn)["id"]

    first = _stripe(client, updated, stripe_secret)
    second = _stripe(client, withdrawn, stripe_secret)

    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert _count(session, WebhookDelivery) == 1
    assert _count(session, DisputeEvent) == 1


def test_stripe_dispute_attaches_to_the_order_by_payment_intent(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    shop = make_shop(session, currency="NOK")
    order = make_order(session, shop)
    session.add(
        Transaction(
            order_id=order.id,
            kind="sale",
            amount=4999,
            currency="NOK",
            gateway="stripe",
            gateway_reference="pi_1",
        )
    )
    session.commit()

    _stripe(client, _event("evt_1", "charge.dispute.created", _dispute("needs_response")), stripe_secret)

    dispute = session.scalar(select(Dispute))
    assert dispute is not None
    assert (dispute.order_id, dispute.shop_id, dispute.status) == (order.id, shop.id, "needs_response")


def test_stripe_dispute_attaches_by_metadata_order_id(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    shop = make_shop(session, currency="NOK")
    order = make_order(session, shop, platform_id="777")
    session.commit()
    body = _event("evt_2", "charge.dispute.created", _dispute("needs_response", metadata={"order_id": "777"}))
    _stripe(client, body, stripe_secret)
    dispute = session.scalar(select(Dispute))
    assert dispute is not None and dispute.order_id == order.id


def test_stripe_events_arriving_out_of_order_keep_the_newest_status(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    _stripe(
        client,
        _event("evt_a", "charge.dispute.closed", _dispute("lost"), created=1_700_000_100),
        stripe_secret,
    )
    _stripe(
        client,
        _event("evt_b", "charge.dispute.updated", _dispute("under_review"), created=1_700_000_050),
        stripe_secret,
    )
    _stripe(
        client,
        _event("evt_c", "charge.dispute.funds_withdrawn", _dispute("under_review"), created=1_700_000_010),
        stripe_secret,
    )
    dispute = session.scalar(select(Dispute))
    assert dispute is not None
    session.refresh(dispute)
    assert (dispute.status, dispute.funds_withdrawn) == ("lost", True)
    assert _count(session, DisputeEvent) == 3


def test_stripe_refund_event_records_each_refund_once(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    shop = make_shop(session, currency="NOK")
    order = make_order(session, shop)
    session.add(
        Transaction(
            order_id=order.id,
            kind="sale",
            amount=order.total,
            currency="NOK",
            gateway="stripe",
            gateway_reference="ch_9",
        )
    )
    session.commit()
    charge = {
        "id": "ch_9",
        "object": "charge",
        "currency": "nok",
        "amount_refunded": 1000,
        "metadata": {},
        "refunds": {
            "data": [{"id": "re_1", "amount": 1000, "status": "succeeded", "created": 1_700_000_000}]
        },
    }
    _stripe(client, _event("evt_r1", "charge.refunded", charge), stripe_secret)
    _stripe(client, _event("evt_r2", "charge.refunded", charge), stripe_secret)  # a later event repeats re_1
    refunds = list(session.scalars(select(Refund).where(Refund.order_id == order.id)))
    assert [(r.platform_id, r.amount) for r in refunds] == [("re_1", 1000)]


def test_stripe_refund_states_the_merchants_configured_arrival_window(
    client: TestClient, session: Session, stripe_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "refund_arrival_min_business_days", 2)
    monkeypatch.setattr(get_settings(), "refund_arrival_max_business_days", 3)
    shop = make_shop(session, currency="NOK")
    order = make_order(session, shop)
    session.add(
        Transaction(
            order_id=order.id,
            kind="sale",
            amount=order.total,
            currency="NOK",
            gateway="stripe",
            gateway_reference="ch_9",
        )
    )
    session.commit()
    charge = {
        "id": "ch_9",
        "object": "charge",
        "currency": "nok",
        "amount_refunded": 1000,
        "metadata": {},
        "refunds": {
            "data": [{"id": "re_1", "amount": 1000, "status": "succeeded", "created": 1_700_000_000}]
        },
    }
    _stripe(client, _event("evt_r1", "charge.refunded", charge), stripe_secret)
    refund = session.scalar(select(Refund).where(Refund.order_id == order.id))
    # Made Tuesday 2023-11-14: two and three business days on are Thursday and Friday.
    assert (refund.expected_arrival_from.isoformat(), refund.expected_arrival_to.isoformat()) == (
        "2023-11-16",
        "2023-11-17",
    )


def test_stripe_early_fraud_warning_tags_the_order(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    shop = make_shop(session)
    order = make_order(session, shop)
    session.add(
        Transaction(
            order_id=order.id,
            kind="sale",
            amount=order.total,
            currency="USD",
            gateway="stripe",
            gateway_reference="ch_1234",
        )
    )
    session.commit()
    warning = json.loads(shared_fixture("stripe/openapi/radar.early_fraud_warning.json").read_text())
    _stripe(client, _event("evt_w", "radar.early_fraud_warning.created", warning), stripe_secret)
    tags = session.scalar(select(Order.tags).where(Order.id == order.id))
    assert tags == ["early_fraud_warning"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "t=1740830400",
        "sha256=0000",
    ],
)
def test_stripe_bad_signatures_answer_401_and_store_nothing(
    client: TestClient, session: Session, stripe_secret: str, header: str | None
) -> None:
    body = _event("evt_x", "charge.dispute.created", _dispute("needs_response"))
    headers = {"Stripe-Signature": header} if header else {}
    with frozen(NOW):
        response = client.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 401 and response.json()["code"].startswith("signature_")
    assert _count(session, WebhookDelivery) == 0


def test_stripe_signature_older_than_five_minutes_is_refused(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    body = _event("evt_old", "charge.dispute.created", _dispute("needs_response"))
    response = _stripe(client, body, stripe_secret, ts=int(NOW.timestamp()) - 301)
    assert (response.status_code, response.json()["code"]) == (401, "signature_expired")
    assert _count(session, WebhookDelivery) == 0


def test_a_shopify_style_signature_replayed_to_stripe_is_refused(
    client: TestClient, session: Session, stripe_secret: str
) -> None:
    body = _event("evt_y", "charge.dispute.created", _dispute("needs_response"))
    with frozen(NOW):
        response = client.post(
            "/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": compute_signature(body, stripe_secret)},
        )
    assert response.status_code == 401
    assert _count(session, WebhookDelivery) == 0


def test_square_dispute_events_from_shared_fixtures_end_won(client: TestClient, session: Session) -> None:
    url = "https://hooks.example.test/webhooks/square"
    configure_gateway(session, "square", "sq-key", actor=OPERATOR, notification_url=url)
    session.commit()
    for name in (
        "DisputeCreatedEvent.json",
        "DisputeEvidenceAddedEvent.json",
        "DisputeStateChangedEvent.json",
    ):
        body = shared_fixture("square", name).read_bytes()
        response = client.post(
            "/webhooks/square",
            content=body,
            headers={"x-square-hmacsha256-signature": square_signature(url, body, "sq-key")},
        )
        assert response.status_code == 200, response.text
    dispute = session.scalar(select(Dispute))
    assert dispute is not None
    session.refresh(dispute)
    assert (dispute.gateway, dispute.status, dispute.amount, dispute.reason) == (
        "square",
        "won",
        8801,
        "incorrect_amount",
    )
    assert dispute.evidence_due_at == datetime(2020, 3, 4, tzinfo=UTC)
    assert _count(session, DisputeEvent) == 3


def test_square_signature_over_another_url_is_refused(client: TestClient, session: Session) -> None:
    configure_gateway(
        session,
        "square",
        "sq-key",
        actor=OPERATOR,
        notification_url="https://hooks.example.test/webhooks/square",
    )
    session.commit()
    body = b'{"event_id":"e1","type":"dispute.created","data":{}}'
    sig = square_signature("https://elsewhere.test/webhooks/square", body, "sq-key")
    response = client.post("/webhooks/square", content=body, headers={"x-square-hmacsha256-signature": sig})
    assert (response.status_code, response.json()["code"]) == (401, "signature_invalid")
    assert _count(session, WebhookDelivery) == 0


def test_paypal_dispute_event_verified_with_a_local_key_pair(
    app, client: TestClient, session: Session
) -> None:
    key, pem = make_paypal_certificate()
    app.state.paypal_cert_loader = lambda url: pem
    configure_gateway(session, "paypal", "unused", actor=OPERATOR, webhook_id="WH1234")
    session.commit()
    event = {
        "id": "WH-EVT-1",
        "event_type": "CUSTOMER.DISPUTE.RESOLVED",
        "create_time": "2025-03-01T10:00:00Z",
        "resource": {
            "dispute_id": "PP-D-1",
            "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
            "status": "RESOLVED",
            "dispute_life_cycle_stage": "CHARGEBACK",
            "dispute_amount": {"currency_code": "EUR", "value": "25.50"},
            "dispute_outcome": {"outcome_code": "RESOLVED_SELLER_FAVOUR"},
            "seller_response_due_date": "2025-03-10T00:00:00Z",
        },
    }
    body = json.dumps(event).encode()

    ok = client.post("/webhooks/paypal", content=body, headers=paypal_headers(key, body, "WH1234"))
    forged = client.post("/webhooks/paypal", content=body, headers=paypal_headers(key, body, "OTHER", "tx-2"))

    assert ok.status_code == 200 and forged.status_code == 401
    dispute = session.scalar(select(Dispute))
    assert dispute is not None
    assert (dispute.gateway, dispute.status, dispute.amount, dispute.currency, dispute.reason) == (
        "paypal",
        "won",
        2550,
        "EUR",
        "product_not_received",
    )


def test_gateway_secret_api_stores_encrypted_and_never_echoes(
    client: TestClient, session: Session, owner_headers: dict[str, str]
) -> None:
    response = client.put("/v1/gateways/stripe/secret", json={"secret": "whsec_abc"}, headers=owner_headers)
    assert response.status_code == 200
    assert response.json() == {"owner": "stripe", "stored": ["webhook_secret"]}
    assert "whsec_abc" not in response.text
    from storeguard.integrations.models import IntegrationSecret

    row = session.scalar(select(IntegrationSecret))
    assert row is not None and "whsec_abc" not in row.current
    assert client.put("/v1/gateways/stripe/secret", json={"secret": "x"}).status_code == 401
