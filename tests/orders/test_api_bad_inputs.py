"""Bad input answers a 4xx problem with a code, never a 500, and changes nothing."""

import copy

import pytest

from tests.factories import make_order, place_order
from tests.orders.support import world


def _order_body(shop, product, **kw):
    return {"shop_id": shop.id, "currency": "USD", "lines": [{"product_id": product.id, "quantity": 1}], **kw}


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"currency": "XYZ"}, 422, "invalid_currency", "currency"),
        ({"currency": "EURO"}, 422, "validation_failed", "currency"),
        ({"currency": "EUR"}, 422, "currency_mismatch", "currency"),
        ({"lines": [{"product_id": "PRODUCT", "quantity": -1}]}, 422, "validation_failed", None),
        ({"lines": "negative"}, 422, "validation_failed", "lines.0.quantity"),
        ({"lines": "zero"}, 422, "validation_failed", "lines.0.quantity"),
        ({"lines": "fractional"}, 422, "validation_failed", "lines.0.quantity"),
        ({"lines": []}, 422, "validation_failed", "lines"),
        ({"lines": [{"product_id": 999_999, "quantity": 1}]}, 422, "unknown_product", "lines.0.product_id"),
        ({"shipping": 9.5}, 422, "validation_failed", "shipping"),
        ({"shipping": 10.0}, 422, "validation_failed", "shipping"),
        ({"shipping": "10.00"}, 422, "validation_failed", "shipping"),
        ({"shipping": -100}, 422, "validation_failed", "shipping"),
        ({"total": 1}, 422, "total_mismatch", "total"),
        ({"shop_id": 999_999}, 404, "shop_not_found", "shop_id"),
        ({"email": "not-an-email"}, 422, "validation_failed", "email"),
        ({"payment": {"kind": "cheque"}}, 422, "validation_failed", "payment.kind"),
        ({"colour": "red"}, 422, "validation_failed", "colour"),
        ({"lines": "too_many"}, 409, "insufficient_stock", "lines"),
    ],
)
def test_post_order_refuses_bad_input(client, auth, session, shop, shirt, change, status, code, field):
    lines = {
        "negative": [{"product_id": shirt.id, "quantity": -1}],
        "zero": [{"product_id": shirt.id, "quantity": 0}],
        "fractional": [{"product_id": shirt.id, "quantity": 1.5}],
        "too_many": [{"product_id": shirt.id, "quantity": 11}],
    }
    body = _order_body(shop, shirt, **copy.deepcopy(change))
    if isinstance(body["lines"], str):
        body["lines"] = lines[body["lines"]]
    headers = auth("agent")
    before = world(session)

    response = client.post("/v1/orders", json=body, headers=headers)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    if field is not None:
        assert problem["field"] == field
    assert world(session) == before


def test_post_order_refuses_a_body_that_is_not_json(client, auth, session, shop):
    headers = {**auth("agent"), "content-type": "application/json"}
    before = world(session)
    response = client.post("/v1/orders", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert world(session) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": 4501}, 409, "refund_exceeds_captured"),
        ({"amount": 45.0}, 422, "validation_failed"),
        ({"amount": "45.00"}, 422, "validation_failed"),
        ({"amount": -5}, 422, "validation_failed"),
        ({}, 409, "nothing_to_refund"),
        ({"shipping": 1}, 409, "shipping_exceeds_refundable"),
        ({"lines": [{"line_item_id": "LINE", "quantity": 2}]}, 409, "quantity_exceeds_refundable"),
        ({"lines": [{"line_item_id": "LINE", "quantity": -1}]}, 422, "validation_failed"),
        ({"lines": [{"line_item_id": 999_999, "quantity": 1}]}, 422, "unknown_line_item"),
        ({"amount": 1, "currency": "EUR"}, 422, "validation_failed"),
    ],
)
def test_post_refund_refuses_bad_input(client, auth, session, shop, shirt, body, status, code):
    order = place_order(session, shop, [(shirt, 1)])
    body = copy.deepcopy(body)  # the parameters are shared by both backends' runs
    for line in body.get("lines", []):
        if line["line_item_id"] == "LINE":
            line["line_item_id"] = order.line_items[0].id
    headers = auth("agent")
    before = world(session)

    response = client.post(f"/v1/orders/{order.id}/refunds", json=body, headers=headers)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert world(session) == before


def test_cancel_twice_answers_conflict_and_changes_nothing(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    headers = auth("agent")
    assert (
        client.post(f"/v1/orders/{order.id}/cancel", json={"reason": "customer"}, headers=headers).status_code
        == 200
    )
    before = world(session)

    response = client.post(
        f"/v1/orders/{order.id}/cancel", json={"reason": "customer", "refund": True}, headers=headers
    )

    assert response.status_code == 409
    assert response.json()["code"] == "already_cancelled"
    assert world(session) == before


def test_cancel_with_an_unknown_reason_is_refused(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    headers = auth("agent")
    before = world(session)
    response = client.post(f"/v1/orders/{order.id}/cancel", json={"reason": "bored"}, headers=headers)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "validation_failed",
        "reason",
    )
    assert world(session) == before


def test_fulfil_a_held_order_is_refused(client, auth, session, shop, shirt):
    order = make_order(session, shop, lines=[(shirt, 1)], held=True, hold_reason="review")
    headers = auth("agent")
    before = world(session)
    response = client.post(f"/v1/orders/{order.id}/fulfillments", json={}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (409, "order_held")
    assert world(session) == before


@pytest.mark.parametrize(
    ("method", "url", "body", "code"),
    [
        ("get", "/v1/orders/987654", None, "order_not_found"),
        ("post", "/v1/orders/987654/cancel", {"reason": "customer"}, "order_not_found"),
        ("post", "/v1/orders/987654/refunds", {"amount": 1}, "order_not_found"),
        ("get", "/v1/orders/987654/timeline", None, "order_not_found"),
        ("post", "/v1/fulfillments/987654/cancel", None, "fulfillment_not_found"),
        ("post", "/v1/fulfillments/987654/deliver", None, "fulfillment_not_found"),
        ("post", "/v1/cancellation-requests/987654/decline", {}, "cancellation_request_not_found"),
    ],
)
def test_unknown_targets_answer_404(client, auth, session, method, url, body, code):
    headers = auth("agent")
    before = world(session)
    response = client.request(method, url, json=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, code)
    assert world(session) == before


def test_capture_more_than_authorized_and_unknown_kind_are_refused(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    headers = auth("agent")
    before = world(session)
    over = client.post(
        f"/v1/orders/{order.id}/transactions", json={"kind": "capture", "amount": 4501}, headers=headers
    )
    assert (over.status_code, over.json()["code"]) == (409, "capture_exceeds_authorized")
    refund_kind = client.post(f"/v1/orders/{order.id}/transactions", json={"kind": "refund"}, headers=headers)
    assert (refund_kind.status_code, refund_kind.json()["code"]) == (422, "validation_failed")
    assert world(session) == before


def test_list_orders_refuses_bad_filters(client, auth):
    headers = auth("viewer")
    for params in ({"status": "lost"}, {"created_from": "yesterday"}, {"limit": 0}, {"limit": 501}):
        response = client.get("/v1/orders", params=params, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), params
