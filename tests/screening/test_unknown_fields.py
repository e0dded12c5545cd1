"""Screening's routes refuse a field they do not know: a misspelt one never falls back to a default."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.orders.models import Order
from storeguard.screening.service import screening_settings
from tests.refusals import refusal, row_counts
from tests.screening.support import make_store, past_order


def test_a_misspelt_refund_on_a_review_cancel_is_refused_and_the_order_stays_held(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    order = past_order(session, store, None, held=True, hold_reason="screening said review")
    stock = store.shirt.stock
    before = row_counts(session)

    answer = client.post(
        f"/v1/reviews/{order.id}/cancel", headers=owner_headers, json={"refunds": False, "restock": True}
    )

    assert refusal(answer) == (422, "validation_failed", "refunds")
    session.expire_all()
    order = session.get(Order, order.id)
    assert (order.status, order.held, order.financial_status, store.shirt.stock) == (
        "open",
        True,
        "paid",
        stock,
    )
    assert row_counts(session) == before


def test_a_misspelt_field_at_checkout_is_refused_and_nothing_is_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    before = row_counts(session)

    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json={
            "shop_id": store.shop.id,
            "emial": "kari@example.no",
            "lines": [{"sku": "SHIRT", "quantity": 1, "unit_price": 30000}],
        },
    )

    assert refusal(answer) == (422, "validation_failed", "emial")
    assert row_counts(session) == before


def test_a_misspelt_settings_key_is_refused_and_the_revision_stays(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    settings, revision = screening_settings(session, store.shop.id)

    answer = client.patch(
        f"/v1/screening/settings/{store.shop.id}",
        headers=owner_headers,
        json={"setting": {"score_thresholds": {"review": 5}}},
    )

    assert refusal(answer) == (422, "validation_failed", "setting")
    assert screening_settings(session, store.shop.id) == (settings, revision)


def test_a_misspelt_shop_filter_on_the_review_queue_is_refused_not_ignored(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)

    answer = client.get(f"/v1/reviews?shop={store.shop.id}", headers=owner_headers)

    assert refusal(answer) == (422, "validation_failed", "shop")
