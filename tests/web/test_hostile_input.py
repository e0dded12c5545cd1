"""No address or form, however odd, makes a page answer 500; and a refused one changes nothing."""

from __future__ import annotations

import pytest

from tests.factories import make_product, make_shop, place_order
from tests.orders.support import world

ODD_ADDRESSES = [
    "/orders?q=" + "x" * 5000,
    "/orders?q=%F0%9F%92%A5%E2%80%AE",
    "/orders?q=%25_%5C",
    "/orders?customer_id=-1",
    "/orders?customer_id=99999999999999999999999",
    "/orders?created_from=yesterday",
    "/orders?after=20261205T101500123456~99999999999999999999",
    "/orders?before=" + "9" * 59,
    "/orders/9223372036854775808",
    "/orders/-5",
    "/orders/1%2F2",
    "/decisions?day=9999-99-99",
    "/decisions?outcome=%00",
    "/login?next=javascript:alert(1)",
    "/login?m=%3Cscript%3E",
    "/?lang=" + "he" * 300,
]


@pytest.mark.parametrize("path", ODD_ADDRESSES)
def test_an_odd_address_never_answers_500(client, login, path):
    login("viewer")

    answer = client.get(path)

    assert answer.status_code < 500, answer.text[:300]
    assert "<script>" not in answer.text


ODD_FORMS = [
    {"reason": "customer", "staff_note": "x" * 3000},
    {"reason": "x" * 10_000},
    {"reason": "customer", "refund": "\x00"},
    {"qty-{line}": "1e309"},
    {"qty-{line}": "NaN", "shipping": "Infinity"},
    {"amount": "1e400"},
    {"amount": "12,50,00"},
    {"shipping": "-0.00", "amount": "٣"},
]


@pytest.mark.parametrize("fields", ODD_FORMS)
@pytest.mark.parametrize("action", ["cancel", "refund", "capture", "fulfil"])
def test_an_odd_form_never_answers_500_and_a_refused_one_changes_nothing(
    client, login, session, action, fields
):
    shop = make_shop(session)
    order = place_order(session, shop, [(make_product(session, shop), 2)])
    me = login("agent")
    data = {k.format(line=order.line_items[0].id): v for k, v in fields.items()}
    before = world(session)

    answer = client.post(
        f"/orders/{order.id}/{action}", data={**data, "csrf_token": me.csrf}, follow_redirects=False
    )

    assert answer.status_code < 500, answer.text[:300]
    if answer.status_code != 303:
        assert world(session) == before
