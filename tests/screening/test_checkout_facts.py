"""The checkout's facts: card, local time, discount, shipping, address parts, email, IP, browser, buyer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.integrations.platforms.shopify.mapping import map_order
from storeguard.orders.models import Order
from storeguard.rules.actions import create_rule
from storeguard.rules.service import clear_cache
from storeguard.screening.backtest import backtest
from storeguard.screening.engine import screen
from storeguard.screening.facts import language_country
from storeguard.screening.velocity_sql import SqlVelocity
from storeguard.shops.models import Shop
from tests.screening.support import ADDRESS, OWNER, checkout, make_store, new_customer, past_order

SQL = SqlVelocity()
# 23:30 UTC on a Sunday is 00:30 on Monday in Oslo (UTC+1 in December).
LATE_SUNDAY = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
BILLING = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "address1": "Karl Johans gate 22",
    "city": "Tromsø ",
    "zip": "9008",
    "country_code": "no",
}


def _facts(session: Session, **kw: Any) -> dict[str, Any]:
    store = make_store(session)
    store.shop.settings = {**(store.shop.settings or {}), **kw.pop("settings", {})}
    session.flush()
    return screen(session, checkout(store, **kw), velocity=SQL).facts


def test_the_local_hour_and_weekday_follow_the_shops_time_zone(session: Session) -> None:
    facts = _facts(session, settings={"time_zone": "Europe/Oslo"}, created_at=LATE_SUNDAY)
    assert (facts["order.hour_local"], facts["order.weekday_local"]) == (0, 1)


def test_the_local_hour_is_utc_when_the_shop_has_no_time_zone(session: Session) -> None:
    facts = _facts(session, created_at=LATE_SUNDAY)
    assert (facts["order.hour_local"], facts["order.weekday_local"]) == (23, 7)


def test_the_card_facts_are_normalized_and_missing_ones_are_null(session: Session) -> None:
    facts = _facts(session, card_bin="411111", card_last4="1111", card_brand=" Visa", avs_result="n")
    card = {k: v for k, v in facts.items() if k.startswith("card.")}
    assert card == {
        "card.bin": "411111",
        "card.brand": "visa",
        "card.funding": None,
        "card.country": None,
        "card.last4": "1111",
        "card.has_expiry": False,
        "card.avs_result": "N",
        "card.cvc_result": None,
    }


def test_the_address_parts_are_as_written_and_their_keys_normalized(session: Session) -> None:
    facts = _facts(session, billing_address=BILLING)
    billing = {k: v for k, v in facts.items() if k.startswith("billing.")}
    assert billing == {
        "billing.line1": "Karl Johans gate 22",
        "billing.city": "Tromsø",
        "billing.first_name": "Kari",
        "billing.last_name": "Nordmann",
        "billing.name": "Kari Nordmann",
        "billing.postal_code": "9008",
        "billing.country": "NO",
        "billing.city_key": "tromso",
        "billing.postal_code_key": "9008",
        "billing.key": "no|9008||karl johans gt 22",
    }


def test_an_order_without_a_shipping_address_has_every_shipping_part_null(session: Session) -> None:
    facts = _facts(session, shipping_address=None)
    assert {v for k, v in facts.items() if k.startswith("shipping.")} == {None}


def test_the_order_money_facts_are_in_major_units(session: Session) -> None:
    facts = _facts(session, discount=5000, shipping=4900, discount_codes=[" welcome10", "WELCOME10"])
    assert {
        k: facts[k] for k in ("order.discount_total", "order.shipping_price", "order.max_line_price")
    } == {
        "order.discount_total": 50.0,
        "order.shipping_price": 49.0,
        "order.max_line_price": 300.0,
    }
    assert facts["order.discount_codes"] == ["WELCOME10"]


def test_the_email_ip_and_browser_facts_are_read_from_the_checkout(session: Session) -> None:
    facts = _facts(
        session,
        email="Kari.Nordmann1987@Example.no",
        browser_ip="203.0.113.77",
        user_agent="Mozilla/5.0 HeadlessChrome/120.0",
        accept_language="nb-NO,nb;q=0.9,en;q=0.8",
    )
    assert {k: facts[k] for k in facts if k.split(".")[0] in ("email", "ip", "browser")} == {
        "email.address": "kari.nordmann1987@example.no",
        "email.domain": "example.no",
        "email.is_disposable": False,
        "email.local_part": "kari.nordmann1987",
        "email.local_digits": 4,
        "ip.address": "203.0.113.77",
        "ip.prefix24": "203.0.113.0/24",
        "ip.prefix48": None,
        "browser.user_agent": "Mozilla/5.0 HeadlessChrome/120.0",
        "browser.accept_language": "nb-NO,nb;q=0.9,en;q=0.8",
        "browser.language_country": "NO",
    }


def test_an_ipv6_address_has_a_48_prefix_and_no_24(session: Session) -> None:
    facts = _facts(session, browser_ip="2001:db8:1:2::7")
    assert (facts["ip.prefix24"], facts["ip.prefix48"]) == (None, "2001:db8:1::/48")


def test_the_browser_country_is_the_first_language_that_names_one() -> None:
    assert [language_country(v) for v in ("en,sv-SE;q=0.8", "zh-Hans-CN", "de", None)] == [
        "SE",
        "CN",
        None,
        None,
    ]


def test_a_guest_checkout_is_a_guest_with_the_name_it_gave(session: Session) -> None:
    facts = _facts(session, customer_first_name="Ola", customer_last_name="Hansen", customer_tags=["VIP "])
    assert {k: facts[k] for k in facts if k.startswith("customer.") and k in _BUYER} == {
        "customer.first_name": "Ola",
        "customer.last_name": "Hansen",
        "customer.tags": ["vip"],
        "customer.is_guest": True,
    }


_BUYER = {"customer.first_name", "customer.last_name", "customer.tags", "customer.is_guest"}


def _screen_body(shop_id: int, product_id: int, **kw: Any) -> dict[str, Any]:
    body = {
        "shop_id": shop_id,
        "lines": [{"product_id": product_id, "quantity": 1}],
        "shipping_address": ADDRESS,
        "billing_address": BILLING,
    }
    return body | kw


def test_post_screen_carries_the_checkout_details_to_the_rules(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    source = "block if card.funding == 'prepaid' and billing.city_key != 'oslo' and order.discount_codes.contains('STAFF50')"
    create_rule(session, shop_id=store.shop.id, name="Prepaid staff code", source=source, actor=OWNER)
    session.commit()
    clear_cache()

    answer = client.post(
        "/v1/screen",
        headers=owner_headers,
        json=_screen_body(
            store.shop.id,
            store.shirt.id,
            discount=1000,
            checkout={"card_funding": "prepaid", "discount_codes": ["staff50"]},
        ),
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "block"


def test_post_screen_refuses_a_discount_above_the_order_and_stores_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()
    before = session.scalar(select(func.count()).select_from(Order))

    answer = client.post(
        "/v1/screen", headers=owner_headers, json=_screen_body(store.shop.id, store.shirt.id, discount=30001)
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "discount_too_large"
    assert session.scalar(select(func.count()).select_from(Order)) == before


def test_post_orders_keeps_the_checkout_details_for_later_screening(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    store = make_store(session)
    session.commit()
    details = {"card_brand": "amex", "shipping_method": "Express", "accept_language": "sv-SE"}

    answer = client.post(
        "/v1/orders",
        headers=owner_headers,
        json={
            "shop_id": store.shop.id,
            "currency": "NOK",
            "lines": [{"product_id": store.shirt.id, "quantity": 1}],
            "checkout": details,
        },
    )

    assert answer.status_code in (200, 201), answer.text
    session.expire_all()
    order = session.get(Order, answer.json()["id"])
    assert order is not None and order.checkout == details


def test_post_shops_refuses_an_unknown_time_zone_and_creates_nothing(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    before = session.scalar(select(func.count()).select_from(Shop))

    answer = client.post(
        "/v1/shops",
        headers=owner_headers,
        json={
            "name": "Fjord",
            "domain": "fjord.example",
            "currency": "NOK",
            "country": "NO",
            "time_zone": "Oslo",
        },
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_time_zone"
    assert session.scalar(select(func.count()).select_from(Shop)) == before


def test_a_shopify_order_gives_its_card_checks_discounts_shipping_browser_and_buyer() -> None:
    payload = {
        "id": 450789469,
        "currency": "USD",
        "total_price": "409.94",
        "subtotal_price": "398.00",
        "created_at": "2026-12-01T10:00:00Z",
        "client_details": {"browser_ip": "0.0.0.0", "accept_language": "en-US", "user_agent": "Mozilla/5.0"},
        "payment_details": {"avs_result_code": "Y", "cvv_result_code": "M", "credit_card_company": "Visa"},
        "discount_codes": [{"code": "TENOFF", "amount": "10.00"}],
        "shipping_lines": [{"code": "Free Shipping", "price": "0.00", "title": "Free Shipping"}],
        "customer": {"id": 207119551, "first_name": "Bob", "last_name": "Norman", "tags": "wholesale, b2b"},
    }

    mapped = map_order(payload)

    assert mapped.checkout == {
        "card_brand": "Visa",
        "avs_result": "Y",
        "cvc_result": "M",
        "discount_codes": ["TENOFF"],
        "shipping_method": "Free Shipping",
        "accept_language": "en-US",
        "customer_first_name": "Bob",
        "customer_last_name": "Norman",
        "customer_tags": ["wholesale", "b2b"],
    }


def _checkout_history(session: Session):  # noqa: ANN202
    """Four past orders in an Oslo shop, each with something else at checkout."""
    store = make_store(session)
    store.shop.settings = {**(store.shop.settings or {}), "time_zone": "Europe/Oslo"}
    start = datetime(2026, 3, 1, tzinfo=UTC)
    past_order(
        session,
        store,
        None,
        created_at=start.replace(hour=1),
        card_bin="411111",
        checkout={"card_funding": "prepaid"},
    )
    past_order(
        session, store, None, created_at=start.replace(hour=12), billing_address=BILLING, discount=1000
    )
    kari = new_customer(session, store, email="kari1987@example.no")
    past_order(
        session,
        store,
        kari,
        created_at=start.replace(hour=23),
        browser_ip="203.0.113.7",
        lines=[(store.sneaker, 2)],
    )
    past_order(
        session, store, kari, created_at=start.replace(day=2), checkout={"discount_codes": ["STAFF50"]}
    )
    session.flush()
    return store, start


@pytest.mark.parametrize(
    ("source", "stopped"),
    [
        ("block if card.funding == 'prepaid' and card.bin == '411111'", 1),
        ("block if order.hour_local == 0 or order.hour_local == 2", 2),  # 23:00 and 01:00 UTC in Oslo
        ("block if billing.city_key != shipping.city_key", 1),
        ("block if order.discount_total > 5 and customer.is_guest", 1),
        (
            "block if ip.prefix24 == '203.0.113.0/24' and order.max_line_price > 2000 and order.quantity_total == 2",
            1,
        ),
        ("block if order.discount_codes.contains('STAFF50')", 1),
        ("block if email.local_digits >= 4 and not customer.is_guest", 2),
    ],
)
def test_a_backtest_of_checkout_facts_runs_columnar_and_agrees_with_screening_every_order(
    session: Session, source: str, stopped: int
) -> None:
    store, start = _checkout_history(session)
    answers = [
        backtest(
            session,
            shop_id=store.shop.id,
            sources=[source],
            date_from=start,
            date_to=start + timedelta(days=3),
            full=full,
        ).as_dict()
        for full in (False, True)
    ]
    assert [(a["path"], a["stopped"]) for a in answers] == [("columnar", stopped), ("full", stopped)]
