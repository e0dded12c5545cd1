"""The integration settings routes refuse a field they do not know: a misspelt secret is never dropped unseen.

(Webhook payloads are the platforms' and keep whatever fields they add.)
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.integrations.actions import configure_gateway
from storeguard.shops.models import Shop
from tests.factories import make_shop
from tests.integrations.conftest import OPERATOR, body_of, shopify_headers
from tests.integrations.payloads import shopify_order
from tests.integrations.test_signatures import make_paypal_certificate, paypal_headers
from tests.refusals import refusal, row_counts


def test_a_misspelt_secret_name_is_refused_and_nothing_is_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop = make_shop(session, domain="kari-sko.myshopify.com")
    before = row_counts(session)

    answer = client.put(
        f"/v1/integrations/shops/{shop.domain}/secrets",
        headers=owner_headers,
        json={"webhook_secrets": "whsec_1", "access_token": "shpat_1"},
    )

    assert refusal(answer) == (422, "validation_failed", "webhook_secrets")
    assert row_counts(session) == before


def test_a_webhook_keeps_what_shopify_adds_in_its_body_and_its_address(
    session: Session, client: TestClient, shopify_shop: Shop
) -> None:
    body = body_of(shopify_order(field_shopify_added_later={"x": 1}))

    answer = client.post(
        f"/webhooks/shopify/{shopify_shop.domain}?source=shopify_app",
        content=body,
        headers=shopify_headers(body, topic="orders/create", webhook_id="wh-extra"),
    )

    assert (answer.status_code, answer.json()) == (200, {"status": "accepted", "delivery_id": "wh-extra"})


def test_a_paypal_delivery_signed_with_another_algorithm_is_a_401_with_its_code_not_a_500(
    app, client: TestClient, session: Session
) -> None:  # noqa: ANN001
    key, pem = make_paypal_certificate()
    app.state.paypal_cert_loader = lambda url: pem
    configure_gateway(session, "paypal", "unused", actor=OPERATOR, webhook_id="WH1234")
    session.commit()
    body = b'{"id": "WH-EVT-9", "event_type": "CUSTOMER.DISPUTE.CREATED"}'
    before = row_counts(session)

    answer = client.post(
        "/webhooks/paypal",
        content=body,
        headers={**paypal_headers(key, body, "WH1234"), "PAYPAL-AUTH-ALGO": "SHA1withRSA"},
    )

    assert refusal(answer) == (401, "signature_algorithm_unsupported", None)
    assert row_counts(session) == before
