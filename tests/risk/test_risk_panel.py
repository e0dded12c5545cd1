"""The customer page shows the risk score, its findings with the orders they rest on, and the segment."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_customer, make_product, make_shop, place_order
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


def _bracketer(session):
    shop = make_shop(session)
    dress = make_product(session, shop, category="apparel", price=80_000)
    customer = make_customer(session, shop)
    for n in range(2):
        order = _delivered_order(
            session, shop, customer, [(dress, 1), (dress, 1), (dress, 1)], T0 + timedelta(days=20 * n)
        )
        _return(session, order, order.line_items[1:], T0 + timedelta(days=20 * n + 8))
    return customer


def test_an_agent_moves_a_customer_to_the_suggested_segment_and_privileges_follow(
    client, login, auth, session
):
    from storeguard.core.enums import Role

    customer = _bracketer(session)
    me = login("agent")
    page = client.get(f"/customers/{customer.id}").text
    suggested = (
        page[page.index("The findings suggest the ") :]
        .split(" segment")[0]
        .removeprefix("The findings suggest the ")
    )

    moved = client.post(
        f"/customers/{customer.id}/segment/accept", data={"csrf_token": me.csrf}, follow_redirects=False
    )
    privileges = client.get(f"/v1/customers/{customer.id}/privileges", headers=auth(Role.viewer)).json()

    assert moved.status_code == 303
    assert privileges["segment"] == suggested.lower()
    assert (privileges["free_returns"], privileges["inspection_before_refund"]) == (False, True)


def test_a_dismissed_suggestion_is_not_offered_again(client, login, session):
    customer = _bracketer(session)
    me = login("agent")

    client.post(f"/customers/{customer.id}/segment/dismiss", data={"csrf_token": me.csrf})
    page = client.get(f"/customers/{customer.id}").text

    assert "The findings suggest" not in page


def test_a_new_customer_is_neutral_with_the_neutral_privileges(client, auth, session):
    from storeguard.core.enums import Role

    shop = make_shop(session)
    customer = make_customer(session, shop)

    answer = client.get(f"/v1/customers/{customer.id}/privileges", headers=auth(Role.viewer)).json()

    assert answer == {
        "customer_id": customer.id,
        "segment": "neutral",
        "priority_support": False,
        "free_returns": False,
        "extra_return_days": 0,
        "manual_review": False,
        "inspection_before_refund": True,
    }


def test_the_review_queue_shows_the_customers_findings(client, login, session):
    customer = _bracketer(session)
    shop_id = customer.shop_id
    from storeguard.shops.models import Product, Shop

    shop = session.get(Shop, shop_id)
    held = place_order(
        session, shop, [(session.query(Product).filter_by(shop_id=shop_id).first(), 1)], customer=customer
    )
    held.held, held.held_at = True, T0 + timedelta(days=60)
    session.flush()
    login("agent")

    page = client.get("/reviews").text

    assert "Risk score" in page and "Bracketing" in page
