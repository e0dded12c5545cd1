"""What a newcomer tries on a fresh demo store, through the HTTP API: linked blocks, a scoped restriction, a backtest."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.shops.models import Product

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# Small, and a seed whose store has a linked second account, a drop reseller and a chargeback.
CONFIG = DemoConfig(customers=200, orders=600, seed=7)


@pytest.fixture
def demo(session):
    return load_demo(session, CONFIG, now=NOW)


def _sku(session, shop_id, *, limited):
    return session.scalar(
        select(Product.sku)
        .where(Product.shop_id == shop_id, Product.limited_edition == limited, ~Product.high_value)
        .order_by(Product.id)
        .limit(1)
    )


def _reseller(demo):
    return next(b for b in demo.ground_truth["blocks"] if b["scope"] == "limited_edition")


def test_second_account_of_a_blocked_customer_is_blocked_at_checkout_with_the_link_path(
    demo, client, owner_headers
):
    example = demo.ground_truth["examples"]["linked_block"]
    blocked = example["blocked_customer_id"]
    assert example["customer_id"] in next(
        b["second_accounts"] for b in demo.ground_truth["blocks"] if b["customer_id"] == blocked
    )

    answer = client.post("/v1/screen", json=example["checkout"], headers=owner_headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "block"
    linked = [r for r in body["reasons"] if r["code"] == "linked_block"]
    assert linked and linked[0]["decisive"]
    assert linked[0]["ref"]["customer_id"] == blocked
    path = linked[0]["path"]
    assert path and path[-1]["to_customer_id"] == blocked and path[0]["shared"]


def test_limited_edition_restriction_blocks_an_order_with_a_limited_item_and_names_that_line(
    demo, client, owner_headers, session
):
    reseller = _reseller(demo)
    shop_id = demo.shop.id
    plain, limited = _sku(session, shop_id, limited=False), _sku(session, shop_id, limited=True)
    checkout = {
        "shop_id": shop_id,
        "customer_id": reseller["customer_id"],
        "email": reseller["email"],
        "lines": [{"sku": plain, "quantity": 1}, {"sku": limited, "quantity": 1}],
    }

    body = client.post("/v1/screen", json=checkout, headers=owner_headers).json()

    assert body["decision"] == "block"
    assert [line["sku"] for line in body["restricted_lines"]] == [limited]
    restriction = [r for r in body["reasons"] if r["code"] == "list_block"]
    assert restriction and all([line["sku"] for line in r["lines"]] == [limited] for r in restriction)
    assert "limited-edition items" in restriction[0]["message"]


def test_limited_edition_restriction_allows_an_order_without_limited_items(
    demo, client, owner_headers, session
):
    reseller = _reseller(demo)
    checkout = {
        "shop_id": demo.shop.id,
        "customer_id": reseller["customer_id"],
        "email": reseller["email"],
        "lines": [{"sku": _sku(session, demo.shop.id, limited=False), "quantity": 1}],
    }

    body = client.post("/v1/screen", json=checkout, headers=owner_headers).json()

    assert body["decision"] == "allow"
    assert body["restricted_lines"] == []
    assert "list_out_of_scope" in {r["code"] for r in body["reasons"]}


def test_backtest_of_a_realistic_rule_over_the_demo_year_reports_stopped_and_good_orders(
    demo, client, owner_headers
):
    answer = client.post(
        "/v1/rules/backtest",
        json={
            "shop_id": demo.shop.id,
            "rule": "review if order.has_high_value",
            "from": (NOW - timedelta(days=366)).isoformat(),
            "to": NOW.isoformat(),
        },
        headers=owner_headers,
    )

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["orders"] == CONFIG.orders
    assert result["stopped"] > 0 and result["stopped_good"] > 0 and result["stopped_bad"] > 0
    assert result["stopped"] == result["stopped_good"] + result["stopped_bad"]
    assert result["by_action"] == {"review": result["stopped"]}
