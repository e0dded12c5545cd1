"""The JSON routes, through the HTTP client, with keys of each role."""

from datetime import UTC, datetime

from storeguard.core.clock import frozen
from tests.factories import make_customer, make_order, place_order


def _create(client, headers, shop, product, **kw):
    body = {
        "shop_id": shop.id,
        "currency": "USD",
        "lines": [{"product_id": product.id, "quantity": 2}],
        "email": "kari@example.com",
        "payment": {"kind": "sale", "fee": 300},
        **kw,
    }
    return client.post("/v1/orders", json=body, headers=headers)


def test_post_order_creates_and_answers_the_order(client, auth, shop, shirt):
    response = _create(client, auth("agent"), shop, shirt, shipping=900, total=9900)

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["total"], body["currency"]) == ("#1001", 9900, "USD")
    assert (body["status"], body["financial_status"], body["fulfillment_status"]) == (
        "open",
        "paid",
        "unfulfilled",
    )
    assert body["ledger"] == {
        "currency": "USD",
        "authorized": 0,
        "captured": 9900,
        "refunded": 0,
        "fees": 300,
        "net": 9600,
        "refundable": 9900,
    }
    assert body["line_items"][0]["refundable_quantity"] == 2
    assert body["line_items"][0]["fulfillable_quantity"] == 2
    assert shirt.stock == 8


def test_get_order_and_list_orders_for_a_viewer(client, auth, session, shop, shirt):
    customer = make_customer(session, shop, email="ola@example.com")
    mine = place_order(session, shop, [(shirt, 1)], customer=customer)
    place_order(session, shop, [(shirt, 1)], email="other@example.com", payment=None)
    headers = auth("viewer")

    detail = client.get(f"/v1/orders/{mine.id}", headers=headers)
    assert detail.status_code == 200 and detail.json()["email"] == "ola@example.com"

    page = client.get("/v1/orders", params={"customer_id": customer.id}, headers=headers).json()
    assert (page["total"], [o["id"] for o in page["items"]]) == (1, [mine.id])
    pending = client.get(
        "/v1/orders", params={"financial_status": "pending", "shop_id": shop.id}, headers=headers
    )
    assert [o["email"] for o in pending.json()["items"]] == ["other@example.com"]
    by_email = client.get("/v1/orders", params={"q": "OLA@"}, headers=headers).json()
    assert [o["id"] for o in by_email["items"]] == [mine.id]
    paged = client.get(
        "/v1/orders", params={"shop_id": shop.id, "limit": 1, "offset": 1}, headers=headers
    ).json()
    assert (paged["total"], len(paged["items"]), paged["limit"], paged["offset"]) == (2, 1, 1, 1)


def test_list_orders_filters_by_creation_time(client, auth, session, shop, shirt):
    with frozen(datetime(2024, 1, 10, tzinfo=UTC)):
        old = place_order(session, shop, [(shirt, 1)])
    with frozen(datetime(2024, 2, 10, tzinfo=UTC)):
        new = place_order(session, shop, [(shirt, 1)])
    params = {"shop_id": shop.id, "created_from": "2024-02-01T00:00:00Z"}
    page = client.get("/v1/orders", params=params, headers=auth("viewer")).json()
    assert [o["id"] for o in page["items"]] == [new.id]
    params = {"shop_id": shop.id, "created_to": "2024-02-01T00:00:00Z"}
    assert [
        o["id"] for o in client.get("/v1/orders", params=params, headers=auth("viewer")).json()["items"]
    ] == [old.id]


def test_cancel_refund_and_timeline_through_the_api(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)])
    headers = auth("agent")
    line_id = order.line_items[0].id

    with frozen(datetime(2024, 3, 1, 12, tzinfo=UTC)):
        refund = client.post(
            f"/v1/orders/{order.id}/refunds",
            headers=headers,
            json={"lines": [{"line_item_id": line_id, "quantity": 1, "restock": True}], "reason": "returned"},
        )
    assert refund.status_code == 201
    assert refund.json()["amount"] == 4500
    assert (refund.json()["expected_arrival_from"], refund.json()["expected_arrival_to"]) == (
        "2024-03-08",
        "2024-03-15",
    )

    cancelled = client.post(
        f"/v1/orders/{order.id}/cancel",
        headers=headers,
        json={"reason": "customer", "refund": True, "restock": True, "staff_note": "asked"},
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["financial_status"]) == ("cancelled", "refunded")
    assert shirt.stock == 10

    refunds = client.get(f"/v1/orders/{order.id}/refunds", headers=auth("viewer")).json()
    assert [r["amount"] for r in refunds] == [4500, 4500]
    timeline = client.get(f"/v1/orders/{order.id}/timeline", headers=auth("viewer")).json()
    assert [e["action"] for e in timeline] == ["order.created", "order.refunded", "order.cancelled"]
    assert timeline[-1]["reason"] == "customer"
    assert timeline[-1]["actor"] == "api_key:test-agent"


def test_capture_void_fulfil_deliver_through_the_api(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)], payment="authorization")
    headers = auth("agent")

    capture = client.post(
        f"/v1/orders/{order.id}/transactions",
        headers=headers,
        json={"kind": "capture", "amount": 4500, "fee": 150},
    )
    assert capture.status_code == 201 and capture.json()["kind"] == "capture"
    void = client.post(f"/v1/orders/{order.id}/transactions", headers=headers, json={"kind": "void"})
    assert void.status_code == 201 and void.json()["amount"] == 4500

    shipped = client.post(
        f"/v1/orders/{order.id}/fulfillments",
        headers=headers,
        json={"carrier": "UPS", "tracking_number": "1Z999"},
    )
    assert shipped.status_code == 201
    fulfillment_id = shipped.json()["id"]
    delivered = client.post(f"/v1/fulfillments/{fulfillment_id}/deliver", headers=headers)
    assert delivered.status_code == 200 and delivered.json()["state"] == "delivered"

    detail = client.get(f"/v1/orders/{order.id}", headers=headers).json()
    assert (detail["financial_status"], detail["fulfillment_status"]) == ("partially_paid", "fulfilled")
    assert detail["ledger"]["net"] == 4500 - 150


def test_cancel_fulfillment_through_the_api(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    headers = auth("agent")
    fulfillment_id = client.post(f"/v1/orders/{order.id}/fulfillments", headers=headers, json={}).json()["id"]
    response = client.post(f"/v1/fulfillments/{fulfillment_id}/cancel", headers=headers)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"


def test_cancellation_requests_through_the_api(client, auth, session, shop, shirt):
    first = place_order(session, shop, [(shirt, 1)])
    second = place_order(session, shop, [(shirt, 1)])
    headers = auth("agent")

    made = client.post(
        f"/v1/orders/{first.id}/cancellation-requests",
        headers=headers,
        json={"channel": "phone", "message": "please cancel"},
    )
    assert made.status_code == 201 and made.json()["status"] == "open"
    accepted = client.post(
        f"/v1/cancellation-requests/{made.json()['id']}/accept",
        headers=headers,
        json={"refund": True, "restock": True},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert client.get(f"/v1/orders/{first.id}", headers=headers).json()["status"] == "cancelled"

    other = client.post(f"/v1/orders/{second.id}/cancellation-requests", headers=headers, json={}).json()
    declined = client.post(
        f"/v1/cancellation-requests/{other['id']}/decline",
        headers=headers,
        json={"staff_note": "shipped already"},
    )
    assert declined.json()["status"] == "declined"
    assert client.get(f"/v1/orders/{second.id}", headers=headers).json()["status"] == "open"


def test_audit_log_is_readable_by_admins_with_filters(client, auth, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    client.post(f"/v1/orders/{order.id}/cancel", headers=auth("agent"), json={"reason": "fraud"})

    page = client.get("/v1/audit", params={"action": "order.cancelled"}, headers=auth("admin")).json()
    assert page["total"] == 1
    [event] = page["items"]
    assert (event["subject_type"], event["subject_id"], event["reason"]) == ("order", str(order.id), "fraud")
    by_subject = client.get(
        "/v1/audit", params={"subject_type": "order", "subject_id": str(order.id)}, headers=auth("admin")
    ).json()
    assert [e["action"] for e in by_subject["items"]] == ["order.cancelled", "order.created"]
    by_actor = client.get(
        "/v1/audit", params={"actor": "api_key:test-agent", "subject_type": "order"}, headers=auth("admin")
    ).json()
    assert [e["action"] for e in by_actor["items"]] == ["order.cancelled"]


def test_roles_viewer_reads_agent_acts_admin_audits(client, auth, session, shop, shirt):
    order = make_order(session, shop, lines=[(shirt, 1)])
    viewer = auth("viewer")
    agent = auth("agent")

    assert client.get(f"/v1/orders/{order.id}", headers=viewer).status_code == 200
    for method, url, body in [
        (
            "post",
            "/v1/orders",
            {"shop_id": shop.id, "currency": "USD", "lines": [{"product_id": shirt.id, "quantity": 1}]},
        ),
        ("post", f"/v1/orders/{order.id}/cancel", {"reason": "customer"}),
        ("post", f"/v1/orders/{order.id}/refunds", {"amount": 1}),
        ("post", f"/v1/orders/{order.id}/transactions", {"kind": "void"}),
        ("post", f"/v1/orders/{order.id}/fulfillments", {}),
        ("post", f"/v1/orders/{order.id}/cancellation-requests", {}),
    ]:
        response = client.request(method, url, json=body, headers=viewer)
        assert response.status_code == 403, url
        assert response.json()["code"] == "role_too_weak"
    assert client.get("/v1/audit", headers=agent).status_code == 403
    assert client.get(f"/v1/orders/{order.id}", headers=viewer).json()["status"] == "open"


def test_openapi_documents_examples_and_minor_units(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["RefundIn"]["examples"][0]["lines"][0]["restock"] is True
    assert schemas["CancelOrderIn"]["examples"][0]["reason"] == "customer"
    assert "minor units" in schemas["RefundIn"]["properties"]["shipping"]["description"]
    assert "409" in spec["paths"]["/v1/orders/{order_id}/refunds"]["post"]["responses"]
