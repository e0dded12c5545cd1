"""Every refusal is RFC 9457 problem details with a machine code: 404, 409, 422."""

from tests.factories import make_product, make_shop, place_order

KEYS = {"type", "title", "status", "detail", "code", "instance"}


def test_unknown_order_is_404_problem(client, owner_headers):
    response = client.get("/v1/orders/424242", headers=owner_headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= KEYS
    assert (body["code"], body["title"], body["detail"]) == (
        "order_not_found",
        "Not found",
        "no order 424242",
    )


def test_unknown_path_is_404_problem(client):
    response = client.get("/v1/no-such-thing")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert response.headers["content-type"] == "application/problem+json"


def test_validation_error_is_422_problem_listing_every_error(client, owner_headers):
    response = client.post("/v1/orders", json={"currency": 5, "lines": []}, headers=owner_headers)
    assert response.status_code == 422
    body = response.json()
    assert body.keys() >= KEYS
    assert body["code"] == "validation_failed"
    assert {e["field"] for e in body["errors"]} >= {"shop_id", "currency", "lines"}
    assert body["field"] == body["errors"][0]["field"]


def test_domain_invalid_is_422_problem_with_field(client, owner_headers, session):
    shop = make_shop(session)
    body = {
        "shop_id": shop.id,
        "currency": "ZZZ",
        "lines": [{"product_id": make_product(session, shop).id, "quantity": 1}],
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "invalid_currency",
        "currency",
    )


def test_state_conflict_is_409_problem(client, owner_headers, session):
    shop = make_shop(session)
    order = place_order(session, shop, [(make_product(session, shop), 1)])
    response = client.post(f"/v1/orders/{order.id}/refunds", json={"amount": 999_999}, headers=owner_headers)
    assert response.status_code == 409
    body = response.json()
    assert body.keys() >= KEYS
    assert (body["code"], body["title"], body["field"]) == ("refund_exceeds_captured", "Conflict", "amount")
    assert body["instance"] == f"/v1/orders/{order.id}/refunds"


def test_wrong_method_is_405_problem(client, owner_headers):
    response = client.delete("/v1/orders", headers=owner_headers)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
