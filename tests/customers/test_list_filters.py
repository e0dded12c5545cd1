"""The customers list narrowed by segment and by finding, on the page and in GET /v1/customers.

Kari: assessed watch, a bracketer. Ola: assessed good. Per: not assessed yet (listed neutral).
Liv: assessed good, but a block entry on her makes her blocked, as on her page and at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from storeguard.core.permissions import Role
from storeguard.customers.models import Customer
from storeguard.lists.actions import create_entry
from storeguard.risk.models import CustomerRisk
from tests.factories import FACTORY_ACTOR, make_customer, make_shop


@dataclass
class Folk:
    shop_id: int
    kari: Customer
    ola: Customer
    per: Customer
    liv: Customer


def _assessed(session, customer: Customer, segment: str, findings: list[str]) -> None:
    session.add(
        CustomerRisk(
            customer_id=customer.id,
            shop_id=customer.shop_id,
            score=40 if findings else 0,
            suggested=segment,
            segment=segment,
            findings=[{"type": t, "confidence": 0.9} for t in findings],
            finding_types=",".join(sorted(findings)),
            contributions=[],
            model_version="test",
        )
    )


@pytest.fixture
def folk(session) -> Folk:
    shop = make_shop(session, currency="NOK", country="NO")
    kari, ola, per, liv = (
        make_customer(session, shop, first_name=n, email=f"{n.lower()}@example.no")
        for n in ("Kari", "Ola", "Per", "Liv")
    )
    _assessed(session, kari, "watch", ["bracketing", "serial_returning"])
    _assessed(session, ola, "good", [])
    _assessed(session, liv, "good", ["serial_returning"])
    create_entry(
        session,
        shop_id=shop.id,
        type="customer",
        value=liv.id,
        actor=FACTORY_ACTOR,
        reason_code="fraud",
        justification="Three chargebacks on cards reported stolen this spring.",
    )
    session.flush()
    return Folk(shop.id, kari, ola, per, liv)


def _ids(client, auth, folk: Folk, **params) -> list[int]:
    answer = client.get(
        "/v1/customers", params={"shop_id": folk.shop_id, **params}, headers=auth(Role.viewer)
    )
    assert answer.status_code == 200, answer.text
    return sorted(c["id"] for c in answer.json()["items"])


def test_the_api_lists_the_customers_with_a_finding(client, auth, folk):
    assert _ids(client, auth, folk, finding="bracketing") == [folk.kari.id]


def test_the_api_lists_the_customers_in_a_segment_a_block_entry_making_blocked(client, auth, folk):
    assert (
        _ids(client, auth, folk, segment="good"),
        _ids(client, auth, folk, segment="blocked"),
        _ids(client, auth, folk, segment="neutral"),
    ) == ([folk.ola.id], [folk.liv.id], [folk.per.id])


def test_the_api_combines_segment_finding_and_text(client, auth, folk):
    assert (
        _ids(client, auth, folk, finding="serial_returning"),
        _ids(client, auth, folk, finding="serial_returning", segment="blocked"),
        _ids(client, auth, folk, finding="serial_returning", q="kari"),
    ) == (sorted([folk.kari.id, folk.liv.id]), [folk.liv.id], [folk.kari.id])


@pytest.mark.parametrize(("name", "value"), [("segment", "naughty"), ("finding", "shoplifting")])
def test_the_api_refuses_a_value_the_filter_does_not_take(client, auth, folk, name, value):
    answer = client.get(
        "/v1/customers", params={"shop_id": folk.shop_id, name: value}, headers=auth(Role.viewer)
    )

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "unknown_filter_value",
        name,
    )


def test_the_page_lists_only_the_bracketers_and_shows_the_filter_as_a_chip(client, login, folk):
    login("viewer")

    page = client.get("/customers", params={"finding": "bracketing"}).text

    assert f'href="/customers/{folk.kari.id}"' in page
    assert all(f'href="/customers/{c.id}"' not in page for c in (folk.ola, folk.per, folk.liv))
    assert 'class="chip">Finding: <strong>Bracketing</strong> <a href="/customers"' in page


def test_the_page_shows_how_many_customers_each_value_has(client, login, folk):
    login("viewer")

    page = client.get("/customers").text

    assert '<option value="bracketing">Bracketing (1)</option>' in page
    assert '<option value="serial_returning">Serial returning (2)</option>' in page


def test_the_page_combines_a_segment_with_the_search_and_keeps_the_rest_on_the_chips_link(
    client, login, folk
):
    login("viewer")

    page = client.get("/customers", params={"q": "liv", "segment": "blocked"}).text

    assert f'href="/customers/{folk.liv.id}"' in page
    assert 'Segment: <strong>Blocked</strong> <a href="/customers?q=liv"' in page


def test_the_page_marks_a_filter_given_a_value_it_does_not_take(client, login, folk):
    login("viewer")

    answer = client.get("/customers", params={"segment": "naughty"})

    assert answer.status_code == 422
    assert "This filter has no such value: choose one from its list." in answer.text
    assert 'id="f-segment" name="segment" class="capped" aria-invalid="true"' in answer.text
    assert f'href="/customers/{folk.kari.id}"' not in answer.text
