"""Line item properties: stored from /v1/orders, read by /v1/screen and by rules, bounded, backtested alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.orders.models import LineItem, Order
from storeguard.rules.actions import create_rule
from storeguard.rules.service import clear_cache
from storeguard.screening.backtest import backtest
from tests.refusals import refusal, row_counts
from tests.screening.support import ADDRESS, OWNER, Store, make_store, new_customer, past_order

ENGRAVING = [
    {"name": "Engraving", "value": "Test order, please ignore"},
    {"name": "_app_ref", "value": "r-17"},
]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _order_body(store: Store, **line: Any) -> dict[str, Any]:
    return {
        "shop_id": store.shop.id,
        "currency": "NOK",
        "lines": [{"product_id": store.shirt.id, "quantity": 1} | line],
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS,
    }


def _rule(session: Session, store: Store, source: str) -> None:
    create_rule(session, shop_id=store.shop.id, name="Engraving", source=source, actor=OWNER)
    session.commit()
    clear_cache()


def test_post_orders_stores_a_lines_properties_and_reads_them_back(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()

    answer = client.post("/v1/orders", headers=owner_headers, json=_order_body(store, properties=ENGRAVING))

    assert answer.status_code == 201, answer.text
    read = client.get(f"/v1/orders/{answer.json()['id']}", headers=owner_headers).json()
    assert read["line_items"][0]["properties"] == ENGRAVING
    session.expire_all()
    assert session.get(Order, answer.json()["id"]).line_items[0].properties == ENGRAVING


def test_post_orders_takes_properties_as_a_mapping_of_name_to_value_too(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()

    answer = client.post(
        "/v1/orders",
        headers=owner_headers,
        json=_order_body(store, properties={"Gift message": "Happy birthday", "Size": "XL"}),
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["line_items"][0]["properties"] == [
        {"name": "Gift message", "value": "Happy birthday"},
        {"name": "Size", "value": "XL"},
    ]


def test_a_line_without_properties_reads_back_with_none(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()

    answer = client.post("/v1/orders", headers=owner_headers, json=_order_body(store))

    assert answer.json()["line_items"][0]["properties"] == []


TOO_MANY = [{"name": f"p{i}", "value": "x"} for i in range(51)]
OVER_LIMIT = {
    "count": (TOO_MANY, "it has 51 properties"),
    "name": ([{"name": "N" * 101, "value": "x"}], "the name 'NNNNNNNNNNNNNNNNNNNN'... has 101 characters"),
    "value": ({"Engraving": "v" * 1001}, "the value of 'Engraving' has 1,001 characters"),
}
LIMITS = "a line holds at most 50 properties, each name at most 100 characters and each value at most 1,000"


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/screen"])
@pytest.mark.parametrize("over", OVER_LIMIT)
def test_properties_over_the_limits_are_refused_and_nothing_is_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str], path: str, over: str
) -> None:
    store = make_store(session)
    session.commit()
    properties, why = OVER_LIMIT[over]
    body = _order_body(store)
    body["lines"].insert(0, {"product_id": store.sneaker.id, "quantity": 1})
    body["lines"][1]["properties"] = properties
    before = row_counts(session)

    answer = client.post(path, headers=owner_headers, json=body)

    assert refusal(answer) == (422, "line_properties_too_large", "lines.1.properties")
    assert answer.json()["detail"] == f"{LIMITS}; {why}"
    assert row_counts(session) == before


def test_properties_at_the_limits_are_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()
    most = [{"name": f"{i:03d}" + "n" * 97, "value": "v" * 1000} for i in range(50)]

    answer = client.post("/v1/orders", headers=owner_headers, json=_order_body(store, properties=most))

    assert answer.status_code == 201, answer.text
    assert answer.json()["line_items"][0]["properties"] == most


def test_a_property_without_a_name_is_refused_as_invalid_input(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()
    before = row_counts(session)

    answer = client.post(
        "/v1/orders", headers=owner_headers, json=_order_body(store, properties=[{"name": "", "value": "x"}])
    )

    assert refusal(answer) == (422, "validation_failed", "lines.0.properties.list[LinePropertyIn].0.name")
    assert row_counts(session) == before


def test_post_screen_fires_a_rule_on_a_property_of_a_line(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    _rule(
        session,
        store,
        "block if order.lines.any(line.properties.get('engraving').icontains('please ignore'))",
    )

    fired = client.post("/v1/screen", headers=owner_headers, json=_order_body(store, properties=ENGRAVING))
    plain = client.post(
        "/v1/screen",
        headers=owner_headers,
        json=_order_body(store, properties={"Engraving": "Kari & Ola"}),
    )

    assert (fired.status_code, fired.json()["decision"]) == (200, "block")
    assert (plain.status_code, plain.json()["decision"]) == (200, "allow")


def test_a_stored_order_is_screened_with_its_lines_properties(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    _rule(session, store, "review if order.lines.any(line.properties.has('_APP_REF'))")

    answer = client.post("/v1/orders", headers=owner_headers, json=_order_body(store, properties=ENGRAVING))

    decisions = client.get(f"/v1/orders/{answer.json()['id']}/decisions", headers=owner_headers).json()
    assert [d["decision"] for d in decisions] == ["review"]


def _with_properties(order: Order, *properties: list[dict[str, str]]) -> None:
    for line, props in zip(order.line_items, properties, strict=False):
        line.properties = props


def _store(session: Session) -> Store:
    store = make_store(session)
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    kari = new_customer(session, store, created_at=at(-10))
    _with_properties(past_order(session, store, kari, created_at=at(1)), ENGRAVING)
    _with_properties(
        past_order(session, store, kari, lines=[(store.shirt, 1), (store.sneaker, 2)], created_at=at(2)),
        [{"name": "Gift message", "value": ""}],
        [{"name": "engraving", "value": "FOR RESALE"}, {"name": "Engraving", "value": "second"}],
    )
    past_order(session, store, None, created_at=at(3))
    _with_properties(
        past_order(session, store, None, lines=[(store.sneaker, 1)], created_at=at(4)),
        [{"name": " ENGRAVING ", "value": "resale"}],
    )
    session.flush()
    return store


@pytest.mark.parametrize(
    ("source", "stopped"),
    [
        ("review if order.lines.any(line.properties.get('engraving').icontains('resale'))", 2),
        ("review if order.lines.any(line.properties.has('gift message'))", 1),
        ("review if order.lines.any(line.tags.contains('drop') and line.properties.has('engraving'))", 2),
        ("review if order.lines.all(line.properties.get('engraving') is null)", 1),
        ("review if order.lines.count(len(line.properties) >= 1) >= 2", 1),
    ],
)
def test_a_backtest_of_a_property_rule_runs_columnar_with_the_answer_of_full_screening(
    session: Session, source: str, stopped: int
) -> None:
    store = _store(session)
    answers = [
        backtest(
            session,
            shop_id=store.shop.id,
            sources=[source],
            date_from=T0,
            date_to=T0 + timedelta(days=10),
            full=full,
        ).as_dict()
        for full in (False, True)
    ]
    assert [a.pop("path") for a in answers] == ["columnar", "full"]
    for a in answers:
        a.pop("seconds")
    assert answers[0] == answers[1]
    assert answers[0]["stopped"] == stopped


def test_lines_stored_before_properties_existed_read_as_none(session: Session) -> None:
    store = make_store(session)
    order = past_order(session, store, None)
    session.expire_all()

    assert session.get(LineItem, order.line_items[0].id).properties == []
