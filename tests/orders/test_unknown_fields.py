"""Order routes refuse a field or a parameter they do not know, and change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.shops.models import Product, Shop
from tests.factories import place_order
from tests.orders.support import world
from tests.refusals import refusal


def test_a_misspelt_restock_on_a_cancel_is_refused_and_the_order_stays_open(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    order = place_order(session, shop, [(shirt, 1)])
    before = world(session)

    answer = client.post(
        f"/v1/orders/{order.id}/cancel",
        headers=owner_headers,
        json={"reason": "customer", "refund": True, "restok": True},
    )

    assert refusal(answer) == (422, "validation_failed", "restok")
    assert world(session) == before


def test_a_misspelt_field_in_a_refund_line_is_refused_by_its_path_and_nothing_moves(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    order = place_order(session, shop, [(shirt, 2)])
    line = order.line_items[0]
    before = world(session)

    answer = client.post(
        f"/v1/orders/{order.id}/refunds",
        headers=owner_headers,
        json={"lines": [{"line_item_id": line.id, "quantity": 1, "restcok": True}]},
    )

    assert refusal(answer) == (422, "validation_failed", "lines.0.restcok")
    assert world(session) == before


def test_a_misspelt_filter_on_the_order_list_is_refused_not_ignored(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    place_order(session, shop, [(shirt, 1)])

    answer = client.get("/v1/orders?stauts=cancelled", headers=owner_headers)

    assert refusal(answer) == (422, "validation_failed", "stauts")
