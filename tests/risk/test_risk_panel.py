"""The customer page shows the risk score, its findings with the orders they rest on, and the segment."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_customer, make_product, make_shop
from tests.risk.test_service import T0, _delivered_order, _return


def test_the_customer_page_shows_a_bracketers_finding_with_its_order(client, login, session):
    shop = make_shop(session)
    dress = make_product(session, shop, category="apparel", price=80_000)
    customer = make_customer(session, shop)
    order = _delivered_order(session, shop, customer, [(dress, 1), (dress, 1), (dress, 1)], T0)
    _return(session, order, order.line_items[1:], T0 + timedelta(days=8))
    login("viewer")

    page = client.get(f"/customers/{customer.id}").text

    assert 'id="risk-h"' in page and "Bracketing" in page
    assert f'href="/orders/{order.id}"' in page
    assert '<strong class="num">+18</strong>' in page


def test_a_customer_without_orders_shows_nothing_to_worry_about(client, login, session):
    shop = make_shop(session)
    customer = make_customer(session, shop)
    login("viewer")

    page = client.get(f"/customers/{customer.id}").text

    assert "Nothing in this customer's history matches an abuse pattern." in page
