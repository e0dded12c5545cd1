"""Shopify's line item properties come in with the order, by webhook and by file, kept within the limits."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.integrations.bulk.service import import_file
from storeguard.integrations.platforms.shopify.mapping import map_line
from storeguard.orders.models import LineItem, Order
from storeguard.shops.models import Shop
from tests.conftest import shared_fixture
from tests.factories import make_shop
from tests.integrations.conftest import body_of, shopify_headers
from tests.integrations.payloads import shopify_order

URL = "/webhooks/shopify/kari-sko.myshopify.com"
ENGRAVED = {
    "466157049": [{"name": "Custom Engraving", "value": "Happy Birthday"}],
    "518995019": [],
    "703073504": [],
}


def _fixture_order() -> dict[str, Any]:
    return json.loads(shared_fixture("shopify/rest/order.json").read_text())["order"]


def _properties_by_line(session: Session, platform_id: str) -> dict[str, list[dict[str, str]]]:
    session.expire_all()
    order = session.scalar(select(Order).where(Order.platform_id == platform_id))
    assert order is not None
    lines = session.scalars(select(LineItem).where(LineItem.order_id == order.id))
    return {li.platform_id: li.properties for li in lines}


def _deliver(
    client: TestClient, payload: dict[str, Any], webhook_id: str, topic: str = "orders/create"
) -> None:
    body = body_of(payload)
    answer = client.post(URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id))
    assert answer.status_code == 200, answer.text


def _line(**kw: Any) -> dict[str, Any]:
    return {"id": 1, "title": "Ring", "quantity": 1, "price": "10.00"} | kw


def test_the_rest_list_of_name_and_value_maps_to_the_lines_properties() -> None:
    (engraved, *_) = _fixture_order()["line_items"]

    assert map_line(engraved, "USD").properties == [{"name": "Custom Engraving", "value": "Happy Birthday"}]


def test_null_missing_or_empty_properties_map_to_none() -> None:
    assert [map_line(_line(properties=p), "NOK").properties for p in (None, [], {})] == [[], [], []]
    assert map_line(_line(), "NOK").properties == []


def test_a_property_value_that_is_not_text_is_written_as_text_and_one_without_a_name_is_dropped() -> None:
    line = _line(properties=[{"name": "Size", "value": 42}, {"name": "", "value": "x"}, {"value": "y"}, "z"])

    assert map_line(line, "NOK").properties == [{"name": "Size", "value": "42"}]


def test_properties_over_the_limits_are_cut_to_them_rather_than_the_order_refused() -> None:
    many = [{"name": f"p{i}", "value": "v"} for i in range(60)]
    long = [{"name": "N" * 150, "value": "v" * 5000}]

    assert len(map_line(_line(properties=many), "NOK").properties) == 50
    assert map_line(_line(properties=long), "NOK").properties == [{"name": "N" * 100, "value": "v" * 1000}]


def test_the_fixture_order_by_webhook_stores_its_engraving_on_its_line(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    shopify_shop.currency = "USD"
    session.commit()

    _deliver(client, _fixture_order(), "lp-1")

    assert _properties_by_line(session, "450789469") == ENGRAVED


def test_an_update_that_changes_a_lines_properties_changes_them(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    _deliver(client, shopify_order(), "lp-2")
    changed = shopify_order(updated_at="2025-03-01T11:00:00+01:00")
    for line in changed["line_items"]:
        line["properties"] = [{"name": "Gift message", "value": "Til mamma"}]

    _deliver(client, changed, "lp-3", topic="orders/updated")

    assert set(map(json.dumps, _properties_by_line(session, str(changed["id"])).values())) == {
        json.dumps([{"name": "Gift message", "value": "Til mamma"}])
    }


def test_an_order_with_too_many_properties_by_webhook_is_mirrored_with_the_first_fifty(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    payload = shopify_order()
    payload["line_items"] = payload["line_items"][:1]
    payload["line_items"][0]["properties"] = [{"name": f"p{i}", "value": "v"} for i in range(80)]

    _deliver(client, payload, "lp-4")

    (kept,) = _properties_by_line(session, str(payload["id"])).values()
    assert [p["name"] for p in kept] == [f"p{i}" for i in range(50)]


def test_a_file_import_stores_properties_as_the_webhook_does(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session, currency="USD")
    session.commit()
    missing = copy.deepcopy(_fixture_order())
    missing["id"], missing["name"] = 450789470, "#1002"
    for i, line in enumerate(missing["line_items"]):
        line["id"] = 900 + i
        line.pop("properties") if i else line.update(properties=None)
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in (_fixture_order(), missing)))

    run = import_file(session, shop, "shopify", path, report_dir=tmp_path)

    assert (run.created, run.failed) == (2, 0)
    assert _properties_by_line(session, "450789469") == ENGRAVED
    assert _properties_by_line(session, "450789470") == {"900": [], "901": [], "902": []}
