"""The review queue page, tested like routes: one order at a time, oldest first; approve, cancel
and notes through the same actions as the API; roles, CSRF and refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storeguard.orders.enums import FinancialStatus, OrderStatus
from storeguard.orders.models import Order
from storeguard.screening.models import ReviewNote
from tests.factories import make_product, make_shop, place_order

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def held(session):
    """Three held orders, held one hour apart (#H1 longest), and one that is not held."""
    shop = make_shop(session, currency="NOK", country="NO")
    scarf = make_product(session, shop, sku="SCARF", price=49900, stock=20)
    orders = []
    for n in range(3):
        order = place_order(session, shop, [(scarf, 1)], number=f"#H{n + 1}")
        order.held, order.held_at = True, T0 + timedelta(hours=n)
        orders.append(order)
    place_order(session, shop, [(scarf, 1)], number="#FREE")
    session.flush()
    return orders


def _state(session) -> list[tuple]:
    session.expire_all()
    return [
        (o.number, o.held, o.status, o.financial_status)
        for o in session.scalars(select(Order).order_by(Order.id))
    ]


def test_the_queue_shows_the_order_held_longest_with_its_place(client, login, held):
    login("viewer")

    page = client.get("/reviews")

    assert page.status_code == 200
    assert f'href="/orders/{held[0].id}"' in page.text
    assert "1 of 3 waiting" in page.text


def test_approving_releases_the_order_and_goes_on_to_the_next_one(client, login, session, held):
    me = login("agent")

    answer = client.post(
        f"/reviews/{held[0].id}/approve", data={"csrf_token": me.csrf}, follow_redirects=False
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/reviews/{held[1].id}")
    assert _state(session)[:3] == [
        ("#H1", False, OrderStatus.open, FinancialStatus.paid),
        ("#H2", True, OrderStatus.open, FinancialStatus.paid),
        ("#H3", True, OrderStatus.open, FinancialStatus.paid),
    ]


def test_an_htmx_approve_swaps_in_the_next_order_and_pushes_its_address(client, login, held):
    me = login("agent")

    answer = client.post(
        f"/reviews/{held[0].id}/approve",
        headers={"X-CSRF-Token": me.csrf, "HX-Request": "true", "HX-Target": "review-work"},
    )

    assert (answer.status_code, answer.headers["hx-push-url"]) == (200, f"/reviews/{held[1].id}")
    assert "<html" not in answer.text and f'href="/orders/{held[1].id}"' in answer.text


def test_cancelling_with_refund_cancels_refunds_and_goes_on(client, login, session, held):
    me = login("agent")

    answer = client.post(
        f"/reviews/{held[1].id}/cancel",
        data={"csrf_token": me.csrf, "reason": "fraud", "refund": "on", "restock": "on"},
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/reviews/{held[2].id}")
    assert _state(session)[1] == ("#H2", False, OrderStatus.cancelled, FinancialStatus.refunded)


def test_cancelling_without_a_reason_shows_the_form_again_and_changes_nothing(client, login, session, held):
    me = login("agent")
    before = _state(session)

    answer = client.post(f"/reviews/{held[0].id}/cancel", data={"csrf_token": me.csrf, "reason": "whim"})

    assert answer.status_code == 422
    assert "Choose one of the reasons." in answer.text
    assert _state(session) == before


def test_approving_an_order_someone_already_decided_is_refused_with_the_reason(client, login, session, held):
    me = login("agent")
    client.post(f"/reviews/{held[0].id}/approve", data={"csrf_token": me.csrf})
    before = _state(session)

    again = client.post(f"/reviews/{held[0].id}/approve", data={"csrf_token": me.csrf})

    assert again.status_code == 409
    assert "This order no longer waits for review." in again.text
    assert _state(session) == before


def test_a_note_is_kept_with_the_order(client, login, session, held):
    me = login("agent")

    answer = client.post(
        f"/reviews/{held[0].id}/notes",
        data={"csrf_token": me.csrf, "body": "Called the customer."},
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/reviews/{held[0].id}")
    notes = session.execute(select(ReviewNote.order_id, ReviewNote.body)).all()
    assert [tuple(n) for n in notes] == [(held[0].id, "Called the customer.")]


def test_a_viewer_sees_no_decision_buttons(client, login, held):
    login("viewer")

    page = client.get(f"/reviews/{held[0].id}")

    assert f'action="/reviews/{held[0].id}/approve"' not in page.text
    assert f'action="/reviews/{held[0].id}/cancel"' not in page.text


@pytest.mark.parametrize("path", ["approve", "cancel", "notes"])
def test_a_viewers_forged_post_gets_403_and_changes_nothing(client, login, session, held, path):
    me = login("viewer")
    before = _state(session)

    answer = client.post(
        f"/reviews/{held[0].id}/{path}", data={"csrf_token": me.csrf, "reason": "fraud", "body": "x"}
    )

    assert answer.status_code == 403
    assert _state(session) == before
    assert session.scalar(select(func.count()).select_from(ReviewNote)) == 0


@pytest.mark.parametrize("token", [None, "stale-token"])
def test_an_approve_without_the_sessions_csrf_token_is_refused(client, login, session, held, token):
    login("agent")
    before = _state(session)

    answer = client.post(f"/reviews/{held[0].id}/approve", data={"csrf_token": token} if token else {})

    assert answer.status_code == 403
    assert _state(session) == before


def test_an_unknown_order_answers_a_404_page(client, login, held):
    login("viewer")

    page = client.get("/reviews/987654321")

    assert page.status_code == 404
    assert "<html" in page.text


def test_an_empty_queue_says_nothing_is_waiting(client, login):
    login("viewer")

    page = client.get("/reviews")

    assert page.status_code == 200
    assert "Nothing is waiting for review." in page.text
