"""The order pages, tested like routes: status, role checks, CSRF refusal, and what changed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storeguard.core.models import AuditEvent
from storeguard.orders import policy
from storeguard.orders import views as order_views
from storeguard.orders.actions import fulfill_order
from storeguard.orders.enums import FinancialStatus, FulfillmentState, OrderStatus
from storeguard.screening.models import Decision
from tests.factories import FACTORY_ACTOR, make_customer, place_order
from tests.orders.support import world


@pytest.fixture
def order(session, shop, shirt, mug):
    """A paid order: 2 shirts (45.00) and a mug (10.00), 9.00 shipping, a 3.20 fee; 8 shirts and 4 mugs left."""
    return place_order(session, shop, [(shirt, 2), (mug, 1)], shipping=900, fee=320)


def _cancel_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "reason": "customer", **fields}


def _flash_after(client, response) -> str:  # noqa: ANN001
    page = client.get(response.headers["location"])
    found = re.search(r'<div class="flash flash-\w+" role="\w+">(.*?)</div>', page.text)
    return found.group(1) if found else ""


# ---- the list -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=%231", ["#1003", "#1002", "#1001"]),
        ("q=ola%40example", ["#1002"]),
        ("q=Ola%40Example.com", ["#1002"]),
        ("q=nordmann", ["#1003"]),
        ("status=cancelled", ["#1001"]),
        ("held=true", ["#1002"]),
        ("financial_status=paid&status=open", ["#1003", "#1002"]),
        ("q=%231002&status=&financial_status=&held=", ["#1002"]),
    ],
    ids=[
        "number",
        "email",
        "whole-email",
        "customer-name",
        "status",
        "held",
        "payment-and-status",
        "empty-fields-mean-any",
    ],
)
def test_the_order_list_finds_orders_by_number_email_customer_and_state(
    client, login, session, shop, shirt, query, expected
):
    kari = make_customer(session, shop, first_name="Kari", last_name="Nordmann", email="kari@example.com")
    first = place_order(session, shop, [(shirt, 1)], number="#1001")
    place_order(session, shop, [(shirt, 1)], number="#1002", email="ola@example.com").held = True
    place_order(session, shop, [(shirt, 1)], number="#1003", customer=kari)
    first.status = OrderStatus.cancelled
    session.flush()
    login("viewer")

    page = client.get(f"/orders?{query}")

    assert page.status_code == 200
    assert re.findall(r'<a href="/orders/\d+">(#\d+)</a>', page.text) == expected


def test_a_search_from_htmx_answers_only_the_results(client, login, order):
    login("viewer")

    part = client.get("/orders?q=1", headers={"HX-Request": "true", "HX-Target": "orders-results"})

    assert part.status_code == 200
    assert part.text.lstrip().startswith('<div id="orders-results">')
    assert "<html" not in part.text


def test_the_order_list_pages_by_key_newest_first(client, login, session, shop, shirt, monkeypatch):
    monkeypatch.setattr(order_views, "PAGE_SIZE", 2)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(5):
        place_order(session, shop, [(shirt, 1)], number=f"#{2000 + n}").created_at = start + timedelta(
            hours=n
        )
    session.flush()
    login("viewer")

    first = client.get("/orders")
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = client.get(older)
    newer = re.search(r'href="([^"]+)" rel="prev"', second.text).group(1).replace("&amp;", "&")
    back = client.get(newer)

    numbers = [re.findall(r'<a href="/orders/\d+">(#\d+)</a>', p.text) for p in (first, second, back)]
    assert numbers == [["#2004", "#2003"], ["#2002", "#2001"], ["#2004", "#2003"]]
    assert older.startswith("/orders?after=") and 'rel="prev"' not in back.text


@pytest.mark.parametrize("query", ["after=garbage", "status=lost", "held=maybe"])
def test_a_list_address_with_a_bad_value_answers_a_422_page(client, login, query):
    login("viewer")

    page = client.get(f"/orders?{query}")

    assert (page.status_code, page.headers["content-type"]) == (422, "text/html; charset=utf-8")


# ---- one order ----------------------------------------------------------------------------------


def test_the_order_page_shows_lines_money_and_the_screening_decision_with_its_reasons(
    client, login, session, order
):
    session.add(
        Decision(
            shop_id=order.shop_id,
            order_id=order.id,
            decision="review",
            score=55,
            reasons=[
                {
                    "code": "first_order_high_value",
                    "message": "First order and high value",
                    "source": "signal",
                    "weight": 30,
                }
            ],
            policy_version=3,
            duration_us=900,
        )
    )
    session.flush()
    login("viewer")

    page = client.get(f"/orders/{order.id}")

    assert page.status_code == 200
    assert "Linen shirt" in page.text and "Mug" in page.text
    assert "USD\xa0109.00" in page.text  # the total
    assert "USD\xa03.20" in page.text  # the fee, never returned
    assert '<span class="badge warn">Review</span>' in page.text
    assert "First order and high value" in page.text and "Risk score 55 of 100" in page.text
    assert "Order placed" in page.text  # the timeline


@pytest.mark.parametrize("path", ["/orders/999999", "/orders/abc", "/orders/0"])
def test_an_unknown_order_answers_the_404_page(client, login, path):
    login("viewer")

    page = client.get(path)

    assert (page.status_code, "<h1>Page not found</h1>" in page.text) == (404, True)


def test_an_unknown_order_is_not_told_to_someone_not_logged_in(client):
    page = client.get("/orders/999999", follow_redirects=False)

    assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2Forders%2F999999")


def test_a_viewer_sees_no_button_it_may_not_press(client, login, order):
    login("viewer")

    page = client.get(f"/orders/{order.id}")

    for action in ("/cancel", "/refund", "/fulfil", "/capture", "/void"):
        assert f'/orders/{order.id}{action}"' not in page.text


def test_an_agent_is_offered_refund_cancel_and_shipping(client, login, order):
    login("agent")

    page = client.get(f"/orders/{order.id}")

    for action in ("/cancel", "/refund", "/fulfil"):
        assert f'/orders/{order.id}{action}"' in page.text


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/orders/{id}/cancel", None),
        ("post", "/orders/{id}/cancel", {"reason": "customer", "refund": "on"}),
        ("get", "/orders/{id}/refund", None),
        ("post", "/orders/{id}/refund", {"qty-{line}": "1"}),
        ("post", "/orders/{id}/fulfil", {}),
    ],
)
def test_a_viewers_forged_request_for_an_agents_action_gets_403_and_changes_nothing(
    client, login, session, order, method, path, data
):
    me = login("viewer")
    before = world(session)
    url = path.format(id=order.id)
    fields = {k.format(line=order.line_items[0].id): v for k, v in (data or {}).items()}

    answer = client.request(
        method.upper(), url, data={**fields, "csrf_token": me.csrf} if data is not None else None
    )

    assert answer.status_code == 403
    assert world(session) == before


# ---- cancel -------------------------------------------------------------------------------------


def test_cancel_without_refund_cancels_the_order_and_it_stays_paid(client, login, session, order):
    me = login("agent", email="ann@example.com")

    answer = client.post(
        f"/orders/{order.id}/cancel",
        data=_cancel_form(me.csrf, staff_note="asked by phone"),
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/orders/{order.id}")
    session.refresh(order)
    assert (order.status, order.financial_status, policy.refunded_amount(order)) == (
        OrderStatus.cancelled,
        FinancialStatus.paid,
        0,
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.cancelled")).one()
    assert (event.actor, event.reason, event.data["staff_note"]) == (
        "staff:ann@example.com",
        "customer",
        "asked by phone",
    )
    assert _flash_after(client, answer) == f"Order {order.number} cancelled. No money was moved."


def test_cancel_with_refund_and_restock_returns_the_money_and_the_stock(
    client, login, session, order, shirt, mug
):
    me = login("agent")

    answer = client.post(
        f"/orders/{order.id}/cancel",
        data=_cancel_form(me.csrf, refund="on", restock="on"),
        follow_redirects=False,
    )

    assert answer.status_code == 303
    session.refresh(order)
    assert (order.financial_status, policy.refunded_amount(order)) == (FinancialStatus.refunded, 10_900)
    assert (shirt.stock, mug.stock) == (10, 5)
    assert _flash_after(client, answer) == f"Order {order.number} cancelled and refunded."


def test_the_cancel_dialog_explains_that_no_money_moves_unless_refund_is_chosen(client, login, order):
    login("agent")

    page = client.get(f"/orders/{order.id}/cancel")

    assert page.status_code == 200
    assert "Cancelling does not move any money by itself." in page.text
    assert "Refund USD\xa0109.00, everything still refundable" in page.text
    assert "Payment fees of USD\xa03.20 are not returned" in page.text


def test_cancel_is_refused_with_the_reason_while_a_fulfilment_is_active(client, login, session, order):
    fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
    me = login("agent")
    before = world(session)

    dialog = client.get(f"/orders/{order.id}/cancel")
    forged = client.post(f"/orders/{order.id}/cancel", data=_cancel_form(me.csrf))

    reason = "This order has a fulfilment in progress. Cancel the fulfilment first, then cancel the order."
    assert (dialog.status_code, reason in dialog.text, 'type="submit" class="danger"' in dialog.text) == (
        200,
        True,
        False,
    )
    assert (forged.status_code, reason in forged.text) == (409, True)
    assert world(session) == before


def test_cancel_without_a_reason_shows_the_form_again_with_the_field_marked_and_changes_nothing(
    client, login, session, order
):
    me = login("agent")
    before = world(session)

    answer = client.post(
        f"/orders/{order.id}/cancel", data={"csrf_token": me.csrf, "staff_note": "kept", "refund": "on"}
    )

    assert answer.status_code == 422
    assert 'id="f-reason" name="reason" aria-describedby="reason-error" aria-invalid="true"' in answer.text
    assert '<p class="field-error" id="reason-error">Choose one of the options.</p>' in answer.text
    assert (
        ">kept</textarea>" in answer.text
        and 'name="refund" type="checkbox" value="on" checked' in answer.text
    )
    assert world(session) == before


def test_cancel_asking_to_notify_an_order_without_email_marks_that_box(client, login, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], email=None)
    me = login("agent")
    before = world(session)

    answer = client.post(f"/orders/{order.id}/cancel", data=_cancel_form(me.csrf, notify_customer="on"))

    assert answer.status_code == 422
    assert "This order has no email address, so the customer cannot be notified." in answer.text
    assert world(session) == before


@pytest.mark.parametrize("token", [None, "stale-or-forged"], ids=["missing", "stale"])
def test_cancel_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    client, login, session, order, token
):
    login("agent")
    before = world(session)
    data = {"reason": "customer"} | ({"csrf_token": token} if token else {})

    answer = client.post(f"/orders/{order.id}/cancel", data=data)

    assert answer.status_code == 403
    assert world(session) == before


def test_an_htmx_post_may_carry_the_csrf_token_in_its_header(client, login, session, order):
    me = login("agent")

    answer = client.post(
        f"/orders/{order.id}/cancel",
        data={"reason": "fraud"},
        headers={"X-CSRF-Token": me.csrf},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    session.refresh(order)
    assert order.cancel_reason == "fraud"


# ---- refund -------------------------------------------------------------------------------------


def test_refund_one_line_with_restock_returns_its_value_and_puts_it_back_in_stock(
    client, login, session, order, shirt
):
    me = login("agent")
    line = order.line_items[0]  # 2 shirts at 45.00

    answer = client.post(
        f"/orders/{order.id}/refund",
        data={"csrf_token": me.csrf, f"qty-{line.id}": "1", f"restock-{line.id}": "on", "reason": "returned"},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    session.refresh(order)
    [refund] = order.refunds
    assert (refund.amount, refund.reason, [(rl.quantity, rl.restock) for rl in refund.lines]) == (
        4500,
        "returned",
        [(1, True)],
    )
    assert (line.refunded_quantity, line.restocked_quantity, shirt.stock) == (1, 1, 9)
    assert order.status == OrderStatus.open and order.financial_status == FinancialStatus.partially_refunded
    assert _flash_after(client, answer).startswith(
        "Refunded USD\xa045.00. It should reach the customer between "
    )


def test_the_refund_dialog_shows_what_is_still_refundable_and_that_fees_stay_a_cost(client, login, order):
    login("agent")

    page = client.get(f"/orders/{order.id}/refund")

    assert "Still refundable: USD\xa0109.00 of USD\xa0109.00 captured." in page.text
    assert "Payment fees (USD\xa03.20) are not returned by the gateway" in page.text
    assert "Up to USD\xa09.00." in page.text  # the shipping


def test_refund_of_more_units_than_are_left_is_refused_with_the_form_again(client, login, session, order):
    me = login("agent")
    line = order.line_items[1]  # one mug
    before = world(session)

    answer = client.post(
        f"/orders/{order.id}/refund", data={"csrf_token": me.csrf, f"qty-{line.id}": "1", "shipping": "9.01"}
    )

    assert answer.status_code == 409
    assert "That is more shipping than is left to refund." in answer.text
    assert 'name="shipping" type="text" value="9.01"' in answer.text
    assert world(session) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "12.345", "Enter an amount such as 12.50, no more decimals than the currency has."),
        ("amount", "-5", "Enter an amount such as 12.50, no more decimals than the currency has."),
        ("qty", "two", "Enter a whole number."),
        ("qty", "-1", "Enter a larger number."),
        ("qty", "99999999999999999999999", "Enter a smaller number."),
    ],
)
def test_refund_with_a_bad_value_marks_the_field_and_changes_nothing(
    client, login, session, order, field, value, message
):
    me = login("agent")
    name = f"qty-{order.line_items[0].id}" if field == "qty" else field
    before = world(session)

    answer = client.post(f"/orders/{order.id}/refund", data={"csrf_token": me.csrf, name: value})

    assert answer.status_code == 422
    assert f'<p class="field-error" id="{name}-error">{message}</p>' in answer.text
    assert world(session) == before


def test_refund_of_nothing_says_what_to_choose(client, login, session, order):
    me = login("agent")

    answer = client.post(f"/orders/{order.id}/refund", data={"csrf_token": me.csrf})

    assert (answer.status_code, "Choose a quantity, shipping or an amount to refund." in answer.text) == (
        409,
        True,
    )


# ---- payment and shipping -----------------------------------------------------------------------


def test_capture_takes_the_authorized_money(client, login, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    me = login("agent")

    answer = client.post(
        f"/orders/{order.id}/capture", data={"csrf_token": me.csrf, "amount": ""}, follow_redirects=False
    )

    assert answer.status_code == 303
    session.refresh(order)
    assert (policy.captured_amount(order), order.financial_status) == (4500, FinancialStatus.paid)


def test_capture_of_more_than_is_authorized_shows_the_order_again_and_changes_nothing(
    client, login, session, shop, shirt
):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    me = login("agent")
    before = world(session)

    answer = client.post(f"/orders/{order.id}/capture", data={"csrf_token": me.csrf, "amount": "45.01"})

    assert answer.status_code == 409
    assert "That is more than is authorized and not yet captured." in answer.text
    assert world(session) == before


def test_void_releases_the_authorization(client, login, session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    me = login("agent")

    answer = client.post(f"/orders/{order.id}/void", data={"csrf_token": me.csrf}, follow_redirects=False)

    assert answer.status_code == 303
    session.refresh(order)
    assert order.financial_status == FinancialStatus.voided


def test_fulfil_ships_everything_left_with_the_tracking_given(client, login, session, order):
    me = login("agent")

    answer = client.post(
        f"/orders/{order.id}/fulfil",
        data={"csrf_token": me.csrf, "carrier": "Posten", "tracking_number": "70701234"},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    session.refresh(order)
    [shipment] = order.fulfillments
    assert (shipment.carrier, shipment.tracking_number, shipment.state) == (
        "Posten",
        "70701234",
        FulfillmentState.open,
    )


def test_a_held_order_is_not_shipped_and_the_page_says_why(client, login, session, order):
    order.held = True
    session.flush()
    me = login("agent")
    before = world(session)

    answer = client.post(f"/orders/{order.id}/fulfil", data={"csrf_token": me.csrf})

    assert answer.status_code == 409
    assert "This order is held for review. Approve it before shipping it." in answer.text
    assert world(session) == before


def test_cancel_a_fulfilment_then_the_order_can_be_cancelled(client, login, session, order):
    shipment = fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
    me = login("agent")

    undone = client.post(
        f"/orders/{order.id}/fulfillments/{shipment.id}/cancel",
        data={"csrf_token": me.csrf},
        follow_redirects=False,
    )
    cancelled = client.post(f"/orders/{order.id}/cancel", data=_cancel_form(me.csrf), follow_redirects=False)

    assert (undone.status_code, cancelled.status_code) == (303, 303)
    session.refresh(order)
    assert (order.fulfillments[0].state, order.status) == (FulfillmentState.cancelled, OrderStatus.cancelled)


def test_mark_delivered_records_the_delivery(client, login, session, order):
    shipment = fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
    me = login("agent")

    answer = client.post(
        f"/orders/{order.id}/fulfillments/{shipment.id}/deliver",
        data={"csrf_token": me.csrf},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    session.refresh(shipment)
    assert shipment.state == FulfillmentState.delivered


def test_a_fulfilment_of_another_order_answers_404_and_changes_nothing(
    client, login, session, order, shop, shirt
):
    other = place_order(session, shop, [(shirt, 1)])
    shipment = fulfill_order(session, order_id=other.id, actor=FACTORY_ACTOR)
    me = login("agent")
    before = world(session)

    answer = client.post(
        f"/orders/{order.id}/fulfillments/{shipment.id}/cancel", data={"csrf_token": me.csrf}
    )

    assert answer.status_code == 404
    assert world(session) == before


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"qty-{shirt}": "1"}, "This refund returns USD\xa045.00 to the customer."),
        ({"qty-{shirt}": "1", "shipping": "9.00"}, "This refund returns USD\xa054.00 to the customer."),
        ({"shipping": "9.01"}, "That is more shipping than is left to refund."),
        ({"qty-{shirt}": "x"}, "One of the values is not valid; it is marked when you press Refund."),
        ({}, "Choose quantities, shipping or an amount: the total shows here."),
    ],
    ids=["a-line", "line-and-shipping", "too-much-shipping", "bad-value", "nothing-yet"],
)
def test_the_refund_dialog_says_what_the_refund_would_return_as_one_types(
    client, login, session, order, fields, said
):
    me = login("agent")
    shirt_line = order.line_items[0].id
    before = world(session)

    part = client.post(
        f"/orders/{order.id}/refund/total",
        data={k.format(shirt=shirt_line): v for k, v in fields.items()},
        headers={"HX-Request": "true", "X-CSRF-Token": me.csrf},
    )

    assert part.status_code == 200
    assert part.text.startswith('<output id="refund-total"')
    assert said in part.text
    assert world(session) == before


def test_the_refund_total_is_an_agents_work_too(client, login, order):
    me = login("viewer")

    part = client.post(f"/orders/{order.id}/refund/total", data={}, headers={"X-CSRF-Token": me.csrf})

    assert part.status_code == 403


def test_the_order_page_shows_each_lines_properties_under_it_escaped_and_app_data_apart(
    client, login, session, order
):
    order.line_items[0].properties = [
        {"name": "Engraving", "value": "<script>alert(1)</script> & love"},
        {"name": "_app_ref", "value": "r-17"},
    ]
    session.flush()
    login("viewer")

    page = client.get(f"/orders/{order.id}")

    assert page.status_code == 200
    assert (
        '<dt dir="auto">Engraving</dt><dd dir="auto">&lt;script&gt;alert(1)&lt;/script&gt; &amp; love</dd>'
        in page.text
    )
    assert "<script>alert(1)" not in page.text
    app_data = re.search(r"<details class=\"line-properties small\">(.*?)</details>", page.text, re.S)
    assert app_data is not None and "App data" in app_data.group(1)
    assert '<dt class="mono" dir="auto">_app_ref</dt><dd class="mono" dir="auto">r-17</dd>' in app_data.group(
        1
    )
    assert page.text.count('class="line-properties') == 3  # one line's list, and the app data's
