"""Hostile bodies and parameters: a clear 4xx with a code, and nothing stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from storeguard.core.schemas import DB_INT_MAX, Id
from tests.factories import make_customer, make_product, make_shop
from tests.refusals import row_counts

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _nested(depth: int) -> dict:
    value: dict = {"city": "Oslo"}
    for _ in range(depth):
        value = {"next": value}
    return value


HOSTILE_BODIES = {
    "deeply nested": ({"shipping_address": _nested(900), "note": "x"}, None),
    "NUL in a string": ({"reason": "fraud\u0000", "note": "a\u0000b", "source": "x\u0000"}, None),
    "2^63 integer": ({"shop_id": 2**63, "amount": 2**63, "quantity": 2**63}, None),
    "-2^63-1 integer": ({"shop_id": -(2**63) - 1, "amount": -(2**63) - 1}, None),
    "2^70 integer": ({"shop_id": 2**70, "customer_id": 2**70}, None),
    "invalid UTF-8": (None, b'{"reason": "\xff\xfe"}'),
    "not JSON": (None, b"{nope"),
}


def _write_operations(app) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted(
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
        if method.upper() in WRITES and not path.startswith("/webhooks/")
    )


@pytest.fixture
def store(session):  # noqa: ANN001, ANN201
    shop = make_shop(session)
    make_customer(session, shop)
    session.flush()
    return shop


@pytest.fixture
def cap(session, store):  # noqa: ANN001, ANN201
    return make_product(session, store, sku="CAP", price=2500, stock=5)


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
def test_every_write_refuses_a_hostile_body_and_stores_nothing(
    app, client, session, owner_headers, store, kind
):
    as_json, raw = HOSTILE_BODIES[kind]
    operations = _write_operations(app)
    assert len(operations) > 30
    before = row_counts(session)
    wrong = []
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "1", path)
        if raw is not None:
            response = client.request(
                method, url, content=raw, headers={**owner_headers, "content-type": "application/json"}
            )
        else:
            response = client.request(method, url, json=as_json, headers=owner_headers)
        if not 400 <= response.status_code < 500 or not response.json().get("code"):
            wrong.append((method, path, response.status_code))
    assert wrong == []
    assert row_counts(session) == before


def test_an_order_nested_900_deep_is_refused_and_not_stored(client, session, owner_headers, store):
    before = row_counts(session)
    body = {
        "shop_id": store.id,
        "currency": store.currency,
        "lines": [{"product_id": 1, "quantity": 1}],
        "shipping_address": _nested(900),
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "too_deeply_nested"
    assert problem["field"].startswith("shipping_address.next.next")
    assert row_counts(session) == before


def test_an_id_past_64_bits_in_the_path_is_422_not_500(client, owner_headers):
    response = client.get("/v1/orders/9223372036854775808", headers=owner_headers)
    assert (response.status_code, response.json()["field"]) == (422, "order_id")


def test_a_shop_id_of_2_to_the_70_at_checkout_is_422_naming_it(client, owner_headers):
    response = client.post(
        "/v1/screen", json={"shop_id": 2**70, "lines": [{"sku": "CAP", "quantity": 1}]}, headers=owner_headers
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("integer_out_of_range", "shop_id")


def test_shipping_and_tax_of_2_to_the_62_are_refused_naming_shipping(client, session, owner_headers, store):
    before = row_counts(session)
    body = {
        "shop_id": store.id,
        "currency": store.currency,
        "lines": [{"product_id": 1, "quantity": 1}],
        "shipping": 2**62,
        "tax": 2**62,
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["field"]) == (422, "shipping")
    assert row_counts(session) == before


def test_money_within_bounds_that_sums_past_the_limit_is_refused(client, session, owner_headers, store, cap):
    before = row_counts(session)
    body = {
        "shop_id": store.id,
        "currency": store.currency,
        "lines": [{"product_id": cap.id, "quantity": 1, "unit_price": 10**15}],
        "shipping": 10**15,
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "amount_out_of_range",
        "shipping",
    )
    assert row_counts(session) == before


def test_a_line_whose_quantity_times_price_passes_the_limit_is_refused(
    client, session, owner_headers, store, cap
):
    body = {
        "shop_id": store.id,
        "currency": store.currency,
        "lines": [{"product_id": cap.id, "quantity": 1_000_000, "unit_price": 10**12}],
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["field"]) == (422, "lines.0.quantity")


def test_a_nul_character_is_refused_naming_the_field(client, session, owner_headers, store):
    before = row_counts(session)
    body = {
        "shop_id": store.id,
        "currency": store.currency,
        "lines": [{"product_id": 1, "quantity": 1}],
        "note": "call me\u0000",
    }
    response = client.post("/v1/orders", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "nul_character",
        "note",
    )
    assert row_counts(session) == before


def test_a_nul_character_in_a_query_parameter_is_refused(client, owner_headers):
    response = client.get("/v1/orders?q=a%00b", headers=owner_headers)
    assert (response.status_code, response.json()["code"]) == (422, "nul_character")


def test_created_from_without_a_zone_is_422_naming_it(client, owner_headers):
    response = client.get("/v1/orders?created_from=2026-01-01T00:00:00", headers=owner_headers)
    assert (response.status_code, response.json()["field"]) == (422, "created_from")


def test_created_from_with_a_zone_is_accepted(client, owner_headers):
    response = client.get("/v1/orders?created_from=2026-01-01T00:00:00%2B01:00", headers=owner_headers)
    assert response.status_code == 200


def test_an_entry_expiring_without_a_zone_is_422_naming_expires_at(client, session, owner_headers, store):
    before = row_counts(session)
    body = {
        "shop_id": store.id,
        "type": "email",
        "value": "bad@example.com",
        "reason_code": "fraud",
        "expires_at": "2030-01-01T00:00:00",
    }
    response = client.post("/v1/lists/entries", json=body, headers=owner_headers)
    assert (response.status_code, response.json()["field"]) == (422, "expires_at")
    assert row_counts(session) == before


def test_an_entry_updated_to_expire_without_a_zone_is_422(client, owner_headers):
    response = client.patch(
        "/v1/lists/entries/1", json={"expires_at": "2030-01-01 00:00"}, headers=owner_headers
    )
    assert (response.status_code, response.json()["field"]) == (422, "expires_at")


def test_a_block_expiring_without_a_zone_is_422(client, session, owner_headers, store):
    before = row_counts(session)
    response = client.post(
        "/v1/customers/1/block",
        json={"reason_code": "fraud", "expires_at": "2030-01-01T00:00:00"},
        headers=owner_headers,
    )
    assert (response.status_code, response.json()["field"]) == (422, "expires_at")
    assert row_counts(session) == before


@given(st.integers(min_value=-(2**80), max_value=2**80))
def test_an_id_is_accepted_exactly_from_1_to_2_to_the_63_minus_1(value):
    adapter = TypeAdapter(Id)
    if 1 <= value <= DB_INT_MAX:
        assert adapter.validate_python(value) == value
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_an_aware_time_in_another_zone_is_kept_as_the_same_instant():
    from storeguard.orders.schemas import OrderFilter

    parsed = OrderFilter(created_from="2026-01-01T01:00:00+01:00").created_from
    assert parsed == datetime(2026, 1, 1, tzinfo=UTC)
