"""Imported Shopify refunds without RMAs: a line restocked as ``return`` is a returned item, a refund
without restock only money refunded. Read from Shopify's own refund and order (../shared/fixtures)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.platforms.shopify.mapping import map_refund
from storeguard.orders.models import LineItem, RefundLine
from storeguard.screening.metrics import customer_metrics
from storeguard.screening.policy import CustomerMetrics
from storeguard.shops.models import Shop
from tests.conftest import shared_fixture
from tests.integrations.conftest import body_of, shopify_headers

URL = "/webhooks/shopify/kari-sko.myshopify.com"
CUSTOMER_ID = "207119551"  # the customer of Shopify's order.json


def _resource(name: str, key: str) -> dict[str, Any]:
    return json.loads(shared_fixture("shopify/rest", name).read_text())[key]


def _refund(*restock_types: str | None) -> dict[str, Any]:
    """Shopify's refund.json (two lines, an older refund-wide ``restock``) with a type per line."""
    refund = _resource("refund.json", "refund")
    refund.pop("restock")
    for item, kind in zip(refund["refund_line_items"], restock_types, strict=True):
        if kind is not None:
            item["restock_type"] = kind
    return refund


def _deliver(client: TestClient, topic: str, payload: dict[str, Any], webhook_id: str) -> None:
    body = body_of(payload)
    response = client.post(
        URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id)
    )
    assert response.status_code == 200, response.text


def _import(client: TestClient, session: Session, shop: Shop, refund: dict[str, Any]) -> CustomerMetrics:
    shop.currency = "USD"
    session.commit()
    _deliver(client, "orders/create", _resource("order.json", "order"), "wh-order")
    _deliver(client, "refunds/create", refund, "wh-refund")
    customer = session.scalar(select(Customer).where(Customer.platform_id == CUSTOMER_ID))
    assert customer is not None
    return customer_metrics(session, customer.id)


def _metrics(m: CustomerMetrics) -> tuple[int, int, int, int]:
    return m.refunds_count, m.refunded_amount, m.items_bought, m.items_returned


def test_a_refund_line_restocked_as_a_return_counts_as_a_returned_item(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    m = _import(client, session, shopify_shop, _refund("return", "return"))
    assert _metrics(m) == (1, 20900, 3, 2)
    assert m.return_ratio == 0.6667


def test_a_refund_without_restock_counts_as_a_refund_without_return(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    m = _import(client, session, shopify_shop, _refund("no_restock", "no_restock"))
    assert _metrics(m) == (1, 20900, 3, 0)


def test_a_refund_line_without_a_restock_type_counts_as_a_refund_without_return(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    m = _import(client, session, shopify_shop, _refund(None, None))
    assert _metrics(m) == (1, 20900, 3, 0)


def test_only_the_lines_restocked_as_returns_count_in_a_mixed_refund(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    m = _import(client, session, shopify_shop, _refund("return", "no_restock"))
    assert _metrics(m) == (1, 20900, 3, 1)
    rows = session.execute(
        select(LineItem.platform_id, RefundLine.restock, RefundLine.returned)
        .join(LineItem, LineItem.id == RefundLine.line_item_id)
        .order_by(LineItem.platform_id)
    ).all()
    assert [tuple(r) for r in rows] == [("466157049", False, False), ("703073504", True, True)]


def test_a_cancel_restock_puts_goods_back_without_counting_a_return(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    m = _import(client, session, shopify_shop, _refund("cancel", "cancel"))
    assert _metrics(m) == (1, 20900, 3, 0)
    restocked = session.scalars(select(LineItem.restocked_quantity).order_by(LineItem.platform_id)).all()
    assert restocked == [1, 0, 1]


def test_an_order_imported_with_its_refunds_counts_its_returns_from_the_first_import(
    client: TestClient, session: Session, shopify_shop: Shop
) -> None:
    shopify_shop.currency = "USD"
    session.commit()
    order = _resource("order.json", "order")
    order["refunds"] = [_refund("return", "no_restock")]
    _deliver(client, "orders/create", order, "wh-order")
    customer = session.scalar(select(Customer).where(Customer.platform_id == CUSTOMER_ID))
    assert customer is not None

    m = customer_metrics(session, customer.id)

    assert _metrics(m) == (1, 20900, 3, 1)


def test_shopify_restock_types_map_to_whether_the_goods_came_back() -> None:
    kinds = ["return", "no_restock", "cancel", "legacy_restock", None]
    refund = _resource("refund.json", "refund")
    line = refund["refund_line_items"][0]
    refund["refund_line_items"] = [dict(line, restock_type=k) if k else dict(line) for k in kinds]
    refund["restock"] = False

    mapped = map_refund(refund, "USD")

    assert [(rl.restock_type, rl.restock, rl.returned) for rl in mapped.lines] == [
        ("return", True, True),
        ("no_restock", False, False),
        ("cancel", True, False),
        ("legacy_restock", True, True),
        (None, False, False),
    ]
