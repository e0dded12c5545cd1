"""The dashboard and the decisions its figures link to: each figure counts what it says."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest

from storeguard.core.clock import now
from storeguard.core.models import OutboxMessage
from storeguard.integrations.models import WebhookDelivery
from storeguard.lists.models import CustomerBlock
from storeguard.screening.models import Decision
from tests.factories import make_customer, make_product, make_shop, place_order


@pytest.fixture
def shop(session):
    return make_shop(session, currency="NOK")


def _decision(session, order, outcome: str, at, score: int = 10, reasons=None) -> Decision:  # noqa: ANN001
    row = Decision(
        shop_id=order.shop_id,
        order_id=order.id,
        decision=outcome,
        score=score,
        reasons=reasons or [],
        policy_version=1,
        duration_us=100,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row


def _tiles(page_text: str) -> dict[str, tuple[str, str | None]]:
    """Each tile's label -> (figure, link)."""
    found = re.findall(
        r'<(?:a|div) class="tile[^"]*"(?: href="([^"]*)")?>\s*<span class="label">([^<]+)</span>\s*'
        r'<span class="figure">([^<]+)</span>',
        page_text,
    )
    return {label: (figure, href.replace("&amp;", "&") or None) for href, label, figure in found}


def test_the_dashboard_counts_held_orders_and_today_s_decisions_each_linking_to_its_list(
    client, login, session, shop
):
    product = make_product(session, shop, stock=100)
    orders = [place_order(session, shop, [(product, 1)]) for _ in range(5)]
    at = now()
    orders[0].held, orders[0].held_at = True, at - timedelta(hours=3)
    orders[1].held, orders[1].held_at = True, at - timedelta(minutes=5)
    for order, outcome in zip(orders, ["review", "review", "block", "allow", "allow"], strict=True):
        _decision(session, order, outcome, at - timedelta(minutes=1))
    _decision(session, orders[3], "block", at - timedelta(days=2))  # not today
    login("viewer")

    tiles = _tiles(client.get("/").text)

    today = at.date().isoformat()
    assert tiles["Held for review"] == ("2", "/reviews")
    assert tiles["Blocked today"] == ("1", f"/decisions?outcome=block&day={today}")
    assert tiles["Sent to review today"] == ("2", f"/decisions?outcome=review&day={today}")
    assert tiles["Asked to verify today"] == ("0", f"/decisions?outcome=verify&day={today}")
    assert tiles["Allowed today"] == ("2", f"/decisions?outcome=allow&day={today}")


def test_the_dashboard_says_how_long_the_oldest_held_order_has_waited(client, login, session, shop):
    order = place_order(session, shop, [(make_product(session, shop), 1)])
    order.held, order.held_at = True, now() - timedelta(hours=3)
    session.flush()
    login("viewer")

    page = client.get("/")

    assert '<span class="note">Oldest waiting 3 hours</span>' in page.text


def test_the_dashboard_counts_blocks_made_and_ending_this_week_and_what_failed_for_good(
    client, login, session, shop
):
    customer = make_customer(session, shop)
    at = now()
    for made, ends in [
        (at - timedelta(days=2), at + timedelta(days=3)),
        (at - timedelta(days=9), None),
        (at - timedelta(days=20), at + timedelta(days=30)),
    ]:
        session.add(
            CustomerBlock(
                shop_id=shop.id,
                customer_id=customer.id,
                reason_code="fraud",
                appeal_token=secrets.token_hex(8),
                created_by="test",
                created_at=made,
                expires_at=ends,
            )
        )
    session.add_all(
        [
            WebhookDelivery(
                source="shopify", delivery_id="d1", topic="orders/create", body=b"{}", status="failed"
            ),
            WebhookDelivery(
                source="shopify", delivery_id="d2", topic="orders/create", body=b"{}", status="processed"
            ),
            OutboxMessage(kind="mail", payload={}, status="dead"),
        ]
    )
    session.flush()
    login("viewer")

    tiles = _tiles(client.get("/").text)

    assert (tiles["Blocks made this week"], tiles["Blocks ending this week"]) == (("1", None), ("1", None))
    assert (tiles["Failed webhook deliveries"], tiles["Dead outbound messages"]) == (
        ("1", "/integrations?status=failed"),
        ("1", "/integrations?outbox=dead#outbox-h"),
    )


def test_the_chart_is_an_svg_drawn_on_the_server_that_runs_no_script(client, login, session, shop):
    order = place_order(session, shop, [(make_product(session, shop), 1)])
    _decision(session, order, "block", now())
    login("viewer")

    chart = client.get("/decisions/chart.svg")
    page = client.get("/")

    assert (chart.status_code, chart.headers["content-type"]) == (200, "image/svg+xml")
    assert chart.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert chart.text.lstrip().startswith("<?xml") and "<script" not in chart.text
    assert ">Block<" in chart.text and ">Allow<" in chart.text
    assert len(re.findall(r'<tr><th scope="row"><a href="/decisions\?day=', page.text)) == 30


def test_the_chart_speaks_the_users_language(client, login, session, shop):
    login("viewer", locale="nb")

    chart = client.get("/decisions/chart.svg")

    assert ">Blokker<" in chart.text and ">Tillat<" in chart.text


def test_the_decisions_list_shows_one_outcome_of_one_day_newest_first(client, login, session, shop):
    product = make_product(session, shop, stock=100)
    orders = [place_order(session, shop, [(product, 1)], number=f"#{3000 + n}") for n in range(3)]
    at = now()
    _decision(
        session,
        orders[0],
        "block",
        at - timedelta(minutes=30),
        reasons=[{"message": "Card on the block list", "weight": 100}],
    )
    _decision(session, orders[1], "block", at - timedelta(minutes=10))
    _decision(session, orders[2], "allow", at - timedelta(minutes=5))
    _decision(session, orders[2], "block", at - timedelta(days=1))
    login("viewer")

    page = client.get(f"/decisions?outcome=block&day={at.date().isoformat()}")

    assert page.status_code == 200
    assert re.findall(r'<a href="/orders/\d+">(#\d+)</a>', page.text) == ["#3001", "#3000"]
    assert "Card on the block list" in page.text


@pytest.mark.parametrize("query", ["outcome=maybe", "day=yesterday", "after=nonsense"])
def test_the_decisions_list_answers_a_bad_address_with_a_422_page(client, login, query):
    login("viewer")

    assert client.get(f"/decisions?{query}").status_code == 422


@pytest.mark.parametrize("path", ["/", "/decisions", "/decisions/chart.svg"])
def test_the_dashboard_pages_need_a_login(client, path):
    answer = client.get(path, follow_redirects=False)

    assert (answer.status_code, answer.headers["location"].startswith("/login")) == (303, True)
