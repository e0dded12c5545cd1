"""Policy replay: a proposed threshold replayed over the customers and open orders, changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.orders.models import Order
from storeguard.screening.models import Decision
from storeguard.shops.models import Shop
from tests.analytics.returners import shop_with_a_frequent_returner
from tests.factories import make_customer, make_order, make_shop
from tests.refusals import refusal, row_counts

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STRICTER = {
    "serial_returning": {"min_ratio_by_count": 0.3, "min_ratio_by_value": 0.3, "min_likelihood_ratio": 0.4}
}
Headers = Callable[..., dict[str, str]]


def _held_order(session: Session, shop: Shop, score: int) -> Order:
    order = make_order(session, shop, customer=make_customer(session, shop))
    session.add(
        Decision(
            shop_id=shop.id,
            order_id=order.id,
            decision="review",
            score=score,
            reasons=[
                {
                    "code": "first_order_high_value",
                    "message": "",
                    "source": "signal",
                    "action": None,
                    "weight": score,
                }
            ],
            policy_version=1,
            duration_us=1,
        )
    )
    session.flush()
    return order


def test_a_stricter_return_ratio_shows_the_customer_who_would_move(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop, returner = shop_with_a_frequent_returner(session)

    answer = client.post("/v1/policy-replay", json={"shop_id": shop.id, "risk": STRICTER}, headers=auth())

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customers_assessed"] == 4
    assert body["moves"] == [
        {
            "kind": "customer",
            "id": returner.id,
            "label": "Rita Returns",
            "from": "good",
            "to": "watch",
            "customer_id": None,
            "customer_label": None,
        }
    ]
    assert body["counts"] == {"customer: good → watch": 1}


def test_a_stricter_review_score_shows_the_open_orders_that_would_be_held(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    moving = _held_order(session, shop, 50)
    _held_order(session, shop, 30)

    answer = client.post(
        "/v1/policy-replay", json={"shop_id": shop.id, "score_thresholds": {"review": 45}}, headers=auth()
    )

    body = answer.json()
    assert (body["orders_replayed"], body["counts"]) == (2, {"order: verify → review": 1})
    assert body["moves"] == [
        {
            "kind": "order",
            "id": moving.id,
            "label": moving.number,
            "from": "verify",
            "to": "review",
            "customer_id": None,
            "customer_label": None,
        }
    ]


def test_replaying_changes_nothing(session: Session, client: TestClient, auth: Headers) -> None:
    shop, _ = shop_with_a_frequent_returner(session)
    _held_order(session, shop, 50)
    headers = auth()
    before = row_counts(session)

    client.post(
        "/v1/policy-replay",
        json={"shop_id": shop.id, "risk": STRICTER, "score_thresholds": {"review": 45}},
        headers=headers,
    )

    assert row_counts(session) == before


def test_a_risk_setting_that_does_not_exist_is_refused(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)

    answer = client.post(
        "/v1/policy-replay",
        json={"shop_id": shop.id, "risk": {"serial_returning": {"max_fun": 1}}},
        headers=auth(),
    )

    assert refusal(answer) == (422, "replay_setting_unknown", "risk.serial_returning.max_fun")


def test_a_ratio_above_one_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)

    answer = client.post(
        "/v1/policy-replay",
        json={"shop_id": shop.id, "risk": {"serial_returning": {"min_ratio_by_count": 1.5}}},
        headers=auth(),
    )

    assert refusal(answer) == (422, "replay_value_invalid", "risk.serial_returning.min_ratio_by_count")


def test_a_score_threshold_above_100_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)

    answer = client.post(
        "/v1/policy-replay", json={"shop_id": shop.id, "score_thresholds": {"block": 101}}, headers=auth()
    )

    assert refusal(answer) == (422, "replay_value_invalid", "score_thresholds.block")


def test_a_replay_without_a_change_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)

    answer = client.post("/v1/policy-replay", json={"shop_id": shop.id}, headers=auth())

    assert refusal(answer) == (422, "replay_change_required", "risk")


def test_the_replay_page_lists_who_a_stricter_return_share_would_move(
    session: Session, client: TestClient, login: Callable
) -> None:
    shop, returner = shop_with_a_frequent_returner(session)
    login("viewer")

    page = client.get(f"/analytics/policy-replay?shop_id={shop.id}&return_share=30&evidence=0.4")

    assert page.status_code == 200
    assert f'<a href="/customers/{returner.id}">Rita Returns</a>' in page.text
    assert "4 customers assessed, 0 open orders decided again." in page.text


def test_the_replay_page_says_what_is_wrong_with_a_share_above_100(
    session: Session, client: TestClient, login: Callable
) -> None:
    shop = make_shop(session)
    login("viewer")

    page = client.get(f"/analytics/policy-replay?shop_id={shop.id}&return_share=150")

    assert page.status_code == 422
    assert "A share is a percentage from 0 to 100, a score a whole number from 0 to 100." in page.text
