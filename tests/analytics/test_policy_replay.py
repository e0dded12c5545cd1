"""Policy replay: a proposed threshold replayed over the customers and open orders, changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.customers.models import Customer
from storeguard.orders.fulfillments import fulfill_order, mark_delivered
from storeguard.orders.models import Order
from storeguard.orders.payments import RefundLineSpec, refund_line_items
from storeguard.screening.models import Decision
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_order, make_product, make_shop, place_order
from tests.refusals import refusal, row_counts

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STRICTER = {
    "serial_returning": {"min_ratio_by_count": 0.3, "min_ratio_by_value": 0.3, "min_likelihood_ratio": 0.4}
}
Headers = Callable[..., dict[str, str]]


def _orders(session: Session, shop: Shop, customer: Customer, count: int, returned: set[int]) -> None:
    """``count`` delivered orders 20 days apart; those numbered in ``returned`` sent back after 9 days."""
    shirt = make_product(session, shop, category="apparel", price=40_000)
    for i in range(count):
        at = T0 + timedelta(days=20 * i)
        with frozen(at):
            order = place_order(session, shop, [(shirt, 1)], customer=customer)
            fulfillment = fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
        with frozen(at + timedelta(days=1)):
            mark_delivered(session, fulfillment_id=fulfillment.id, actor=FACTORY_ACTOR)
        if i in returned:
            with frozen(at + timedelta(days=9)):
                refund_line_items(
                    session,
                    order_id=order.id,
                    actor=FACTORY_ACTOR,
                    lines=[RefundLineSpec(line.id, line.quantity, True) for line in order.line_items],
                    reason="size_too_large",
                )


def _shop_with_a_frequent_returner(session: Session) -> tuple[Shop, Customer]:
    shop = make_shop(session)
    for _ in range(3):
        _orders(session, shop, make_customer(session, shop), 6, set())
    returner = make_customer(session, shop, first_name="Rita", last_name="Returns")
    _orders(session, shop, returner, 9, {0, 2, 4, 6})
    return shop, returner


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
    shop, returner = _shop_with_a_frequent_returner(session)

    answer = client.post("/v1/policy-replay", json={"shop_id": shop.id, "risk": STRICTER}, headers=auth())

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customers_assessed"] == 4
    assert body["moves"] == [
        {"kind": "customer", "id": returner.id, "label": "Rita Returns", "from": "good", "to": "watch"}
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
        {"kind": "order", "id": moving.id, "label": moving.number, "from": "verify", "to": "review"}
    ]


def test_replaying_changes_nothing(session: Session, client: TestClient, auth: Headers) -> None:
    shop, _ = _shop_with_a_frequent_returner(session)
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
