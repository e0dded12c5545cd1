"""Privacy on the customer page: export and erase for admins, an erased customer shown as erased."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.models import LegalHold
from storeguard.core.config import get_settings
from storeguard.core.models import AuditEvent
from storeguard.customers.models import Customer
from tests.factories import make_customer, make_shop


@pytest.fixture
def erasure_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STOREGUARD_ERASURE_KEY", "a secret kept apart from the database")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def kari(session: Session) -> Customer:
    return make_customer(
        session, make_shop(session), first_name="Kari", last_name="Nordmann", email="kari@example.com"
    )


def test_an_admin_sees_export_and_erase_on_the_customer_page(client, login, session, kari):
    login("admin")

    page = client.get(f"/customers/{kari.id}")

    assert (
        f'href="/customers/{kari.id}/export.json"' in page.text,
        f'action="/customers/{kari.id}/erase"' in page.text,
    ) == (
        True,
        True,
    )


def test_an_agent_sees_neither(client, login, session, kari):
    login("agent")

    page = client.get(f"/customers/{kari.id}")

    assert ("export.json" in page.text, "/erase" in page.text) == (False, False)


def test_the_export_downloads_as_a_json_file_and_is_audited(client, login, session, kari):
    login("admin")

    answer = client.get(f"/customers/{kari.id}/export.json")

    assert answer.headers["content-disposition"] == f'attachment; filename="customer-{kari.id}.json"'
    assert answer.json()["parts"]["customer"]["email"] == "kari@example.com"
    assert (
        session.scalar(select(AuditEvent.action).where(AuditEvent.action == "customer.exported")) is not None
    )


def test_erasing_from_the_page_erases_and_shows_the_customer_as_erased(
    client, login, session, kari, erasure_key
):
    me = login("admin")

    answer = client.post(
        f"/customers/{kari.id}/erase",
        data={"csrf_token": me.csrf, "reason": "her mail of 1 December"},
        follow_redirects=False,
    )
    page = client.get(f"/customers/{kari.id}")

    assert (answer.status_code, answer.headers["location"]) == (303, f"/customers/{kari.id}#privacy-h")
    assert session.get(Customer, kari.id).email is None
    assert "Personal data erased" in page.text and "Nordmann" not in page.text


def test_a_legal_hold_is_said_on_the_page_and_nothing_is_erased(client, login, session, kari, erasure_key):
    session.add(
        LegalHold(shop_id=kari.shop_id, customer_id=kari.id, reason="a lawyer wrote", placed_by="owner@shop")
    )
    session.flush()
    me = login("admin")

    page = client.post(f"/customers/{kari.id}/erase", data={"csrf_token": me.csrf, "reason": "her request"})

    assert "A legal hold keeps this customer" in page.text
    assert session.get(Customer, kari.id).email == "kari@example.com"


def test_an_agent_may_not_erase_from_the_page(client, login, session, kari, erasure_key):
    me = login("agent")

    answer = client.post(f"/customers/{kari.id}/erase", data={"csrf_token": me.csrf, "reason": "her request"})

    assert answer.status_code == 403
    assert session.get(Customer, kari.id).email == "kari@example.com"
