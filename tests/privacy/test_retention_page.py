"""Retention limits on the settings page: shown, changed, refused on their field, and a dry run
that counts what the scheduled pass would erase or hash now without saving or changing anything."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from storeguard.cases.models import Case, CaseEntry
from storeguard.core.actor import SYSTEM
from storeguard.core.clock import now
from storeguard.privacy.retention import retention_limits, set_retention
from storeguard.shops.models import Shop
from tests.factories import make_shop
from tests.refusals import row_counts


def _closed_case(session: Session, shop: Shop, *, days_ago: int) -> Case:
    case = Case(
        shop_id=shop.id,
        channel="email",
        status="closed",
        subject="Where is my parcel, Kari?",
        customer_email="kari@example.com",
        customer_name="Kari Nordmann",
        resolved_at=now() - timedelta(days=days_ago),
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEntry(
            case_id=case.id,
            kind="inbound",
            channel="email",
            author="kari@example.com",
            body="Call me on 91234567",
            created_at=now() - timedelta(days=days_ago + 1),
        )
    )
    session.commit()
    return case


def test_the_settings_page_shows_the_saved_limits(client, login, session):
    shop = make_shop(session)
    set_retention(session, shop_id=shop.id, limits={"closed_cases_days": 30}, actor=SYSTEM)
    session.commit()
    login("admin")

    page = client.get("/settings")

    assert 'id="retention-h"' in page.text
    assert 'name="closed_cases_days" type="text" value="30"' in page.text
    assert 'name="messages_days" type="text" value=""' in page.text


def test_an_admin_saves_limits_and_an_empty_field_keeps_the_data(client, login, session):
    shop = make_shop(session)
    me = login("admin")

    answer = client.post(
        "/settings/retention",
        data={
            "csrf_token": me.csrf,
            "intent": "save",
            "closed_cases_days": "30",
            "messages_days": "",
            "expired_blocks_days": "90",
        },
        follow_redirects=False,
    )

    session.refresh(shop)
    assert (answer.status_code, answer.headers["location"]) == (303, "/settings#retention-h")
    assert retention_limits(shop) == {
        "closed_cases_days": 30,
        "messages_days": None,
        "expired_blocks_days": 90,
    }


def test_a_limit_that_is_not_a_number_is_shown_again_on_its_field_and_nothing_is_saved(
    client, login, session
):
    make_shop(session)
    me = login("admin")
    client.get("/settings")  # the page seeds the shop's reason codes when first shown
    before = row_counts(session)

    answer = client.post(
        "/settings/retention",
        data={"csrf_token": me.csrf, "intent": "save", "closed_cases_days": "soon", "messages_days": "365"},
    )

    assert answer.status_code == 422
    assert 'name="closed_cases_days" type="text" value="soon"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "A retention limit is 1 to 36500 days, or empty to keep." in answer.text
    assert row_counts(session) == before


def test_a_limit_out_of_range_is_refused_on_its_field_and_nothing_is_saved(client, login, session):
    shop = make_shop(session)
    me = login("admin")
    client.get("/settings")  # the page seeds the shop's reason codes when first shown
    before = row_counts(session)

    answer = client.post(
        "/settings/retention", data={"csrf_token": me.csrf, "intent": "save", "messages_days": "0"}
    )

    session.refresh(shop)
    assert answer.status_code == 422
    assert 'name="messages_days" type="text" value="0"' in answer.text
    assert "A retention limit is 1 to 36500 days, or empty to keep." in answer.text
    assert retention_limits(shop)["messages_days"] is None
    assert row_counts(session) == before


def test_a_dry_run_counts_what_the_limits_typed_would_erase_and_saves_and_erases_nothing(
    client, login, session
):
    shop = make_shop(session)
    old = _closed_case(session, shop, days_ago=40)
    _closed_case(session, shop, days_ago=10)
    me = login("admin")
    client.get("/settings")  # the page seeds the shop's reason codes when first shown
    before = row_counts(session)

    answer = client.post(
        "/settings/retention",
        data={"csrf_token": me.csrf, "intent": "dry_run", "closed_cases_days": "30", "messages_days": "5"},
    )

    session.refresh(shop)
    session.expire_all()
    assert answer.status_code == 200
    dry = answer.text.split('id="retention-dry-run"')[1].split("</table>")[0]
    assert 'Closed cases erased</th><td class="num">1<' in dry
    assert 'Messages erased</th><td class="num">2<' in dry
    assert 'Ended blocks\' identifiers hashed</th><td class="num">0<' in dry
    assert retention_limits(shop) == {
        "closed_cases_days": None,
        "messages_days": None,
        "expired_blocks_days": None,
    }
    assert session.get(Case, old.id).customer_name == "Kari Nordmann"
    assert row_counts(session) == before


def test_an_agent_may_not_change_limits(client, login, session):
    shop = make_shop(session)
    me = login("agent")

    answer = client.post(
        "/settings/retention", data={"csrf_token": me.csrf, "intent": "save", "closed_cases_days": "30"}
    )

    session.refresh(shop)
    assert answer.status_code == 403
    assert retention_limits(shop)["closed_cases_days"] is None
