"""The Shopify catalogue: product webhooks and exports mirror variants; checkout screens what they sell."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import CLI
from storeguard.integrations.bulk.product_files import import_products
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.models import WebhookDelivery
from storeguard.shops.models import Product, Shop
from tests.integrations.conftest import body_of, shopify_headers
from tests.integrations.payloads import shopify_order

URL = "/webhooks/shopify/kari-sko.myshopify.com"


def shopify_product(**overrides) -> dict:  # noqa: ANN003
    """A product as products/create delivers it (REST shape): two sizes of one sneaker."""
    product = {
        "id": 632910392,
        "title": "Joggesko",
        "handle": "joggesko",
        "product_type": "Sneakers",
        "vendor": "Nordsko",
        "status": "active",
        "tags": "high-value, summer",
        "options": [{"id": 594680422, "product_id": 632910392, "name": "Size", "position": 1}],
        "variants": [
            {
                "id": 808950810,
                "product_id": 632910392,
                "title": "42",
                "price": "649.75",
                "sku": "JOG-42-BLA",
                "option1": "42",
                "inventory_quantity": 10,
            },
            {
                "id": 808950811,
                "product_id": 632910392,
                "title": "43",
                "price": 649.75,  # Shopify also sends money as a JSON number
                "sku": "JOG-43-BLA",
                "option1": "43",
                "inventory_quantity": 3,
            },
        ],
    }
    product.update(overrides)
    return product


def _post(client: TestClient, payload: dict, topic: str, webhook_id: str):  # noqa: ANN202
    body = body_of(payload)
    return client.post(URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id))


def _catalogue(session: Session) -> list[tuple]:
    session.expire_all()
    return session.execute(
        select(
            Product.platform_id,
            Product.sku,
            Product.title,
            Product.price,
            Product.stock,
            Product.category,
            Product.tags,
            Product.options,
            Product.high_value,
            Product.limited_edition,
        ).order_by(Product.sku)
    ).all()


def test_products_create_mirrors_each_variant_exactly(client, session, shopify_shop: Shop):
    assert _post(client, shopify_product(), "products/create", "p-1").status_code == 200
    assert _catalogue(session) == [
        (
            "632910392/808950810",
            "JOG-42-BLA",
            "Joggesko - 42",
            64975,
            10,
            "Sneakers",
            ["high-value", "summer"],
            {"size": ["42"]},
            True,
            False,
        ),
        (
            "632910392/808950811",
            "JOG-43-BLA",
            "Joggesko - 43",
            64975,
            3,
            "Sneakers",
            ["high-value", "summer"],
            {"size": ["43"]},
            True,
            False,
        ),
    ]


def test_products_update_changes_price_stock_and_flags(client, session, shopify_shop: Shop):
    _post(client, shopify_product(), "products/create", "p-1")
    updated = shopify_product(tags="limited-edition")
    updated["variants"][0].update(price="599.00", inventory_quantity=0)
    _post(client, updated, "products/update", "p-2")
    rows = _catalogue(session)
    assert [(r.price, r.stock, r.tags, r.high_value, r.limited_edition) for r in rows] == [
        (59900, 0, ["limited-edition"], False, True),
        (64975, 3, ["limited-edition"], False, True),
    ]


def test_products_delete_keeps_the_variants_without_stock(client, session, shopify_shop: Shop):
    _post(client, shopify_product(), "products/create", "p-1")
    _post(client, {"id": 632910392}, "products/delete", "p-3")
    assert [(r.sku, r.stock) for r in _catalogue(session)] == [("JOG-42-BLA", 0), ("JOG-43-BLA", 0)]


def test_a_product_without_variants_fails_at_once_and_stores_nothing(client, session, shopify_shop: Shop):
    _post(client, shopify_product(variants=[]), "products/create", "p-bad")
    delivery = session.scalars(select(WebhookDelivery)).one()
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.failed, 1)
    assert _catalogue(session) == []


def test_a_product_with_a_bad_signature_stores_nothing(client, session, shopify_shop: Shop):
    body = body_of(shopify_product())
    headers = shopify_headers(body, topic="products/create", webhook_id="p-1", secret="wrong")
    assert client.post(URL, content=body, headers=headers).status_code == 401
    assert session.scalars(select(WebhookDelivery)).all() == []
    assert _catalogue(session) == []


def test_changing_the_catalogue_mapping_reflags_mirrored_products(
    client, session, shopify_shop: Shop, owner_headers
):
    _post(client, shopify_product(tags="summer"), "products/create", "p-1")
    answer = client.put(
        f"/v1/shops/{shopify_shop.id}/catalogue-mapping",
        json={"limited_edition_types": ["Sneakers"], "high_value_tags": ["Summer"]},
        headers=owner_headers,
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "high_value_tags": ["summer"],
        "limited_edition_tags": ["limited-edition"],
        "high_value_types": [],
        "limited_edition_types": ["sneakers"],
    }
    assert {(r.high_value, r.limited_edition) for r in _catalogue(session)} == {(True, True)}


def test_an_unknown_mapping_key_is_refused_and_changes_nothing(
    client, session, shopify_shop: Shop, owner_headers
):
    answer = client.put(
        f"/v1/shops/{shopify_shop.id}/catalogue-mapping", json={"vip_tags": ["x"]}, headers=owner_headers
    )
    assert answer.status_code == 422
    session.refresh(shopify_shop)
    assert "catalogue" not in (shopify_shop.settings or {})


EXPORT = """Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Qty,Variant Price
rain-jacket,Fjord Rain Jacket,<p>Dry</p>,Nordsko,Outerwear,"limited-edition, rain",TRUE,Size,S,FJ-S,4,1299.00
rain-jacket,,,,,,,,M,FJ-M,0,1299.00
cap,Wool Cap,,Nordsko,Accessories,,TRUE,Title,Default Title,CAP-1,25,199.50
broken,Broken,,Nordsko,Accessories,,TRUE,Title,Default Title,BRK-1,1,12.345
"""


def test_a_shopify_products_export_loads_once_however_often_it_runs(
    session, shopify_shop: Shop, tmp_path: Path
):
    path = tmp_path / "products_export.csv"
    path.write_text(EXPORT)
    first = import_products(session, shopify_shop, path, actor=CLI)
    again = import_products(session, shopify_shop, path, actor=CLI)
    assert (first.products, first.result.created, first.result.updated) == (2, 3, 0)
    assert (again.result.created, again.result.updated, again.result.unchanged) == (0, 0, 3)
    assert [row for row, _ in first.failed] == [5]
    assert "more decimal places" in first.failed[0][1]
    rows = _catalogue(session)
    assert [(r.sku, r.title, r.price, r.stock, r.limited_edition) for r in rows] == [
        ("CAP-1", "Wool Cap", 19950, 25, False),
        ("FJ-M", "Fjord Rain Jacket - M", 129900, 0, True),
        ("FJ-S", "Fjord Rain Jacket - S", 129900, 4, True),
    ]


def test_a_json_lines_products_file_loads_and_reports_unreadable_lines(
    session, shopify_shop: Shop, tmp_path: Path
):
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps(shopify_product()) + "\n{not json\n")
    report = import_products(session, shopify_shop, path, actor=CLI)
    assert (report.products, report.result.created, report.failed) == (1, 2, [(2, "the body is not JSON")])


def test_a_newcomer_screens_a_checkout_of_products_that_came_by_webhook(
    client, session, shopify_shop: Shop, owner_headers
):
    _post(client, shopify_product(), "products/create", "p-1")
    _post(client, shopify_order(), "orders/create", "o-1")
    answer = client.post(
        "/v1/screen",
        json={
            "shop_id": shopify_shop.id,
            "email": "ny@example.no",
            "lines": [{"sku": "JOG-43-BLA", "quantity": 1}],
        },
        headers=owner_headers,
    )
    assert answer.status_code == 200
    assert answer.json()["decision"] in {"allow", "review", "verify", "block"}
    assert [r for r in answer.json()["reasons"] if r["code"] == "unknown_product"] == []
