"""Retention: per-shop limits after which closed cases, messages and ended blocks' identifiers are erased or hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cases.models import Case, CaseEntry, LegalHold
from storeguard.cli import app as cli
from storeguard.core.actor import SYSTEM
from storeguard.core.clock import frozen
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.core.pseudonyms import PREFIX
from storeguard.lists.enums import EntryStatus
from storeguard.lists.models import ListEntry
from storeguard.privacy.retention import apply_retention, set_retention
from tests.factories import make_customer, make_shop

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def erasure_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STOREGUARD_ERASURE_KEY", "a secret kept apart from the database")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def shop(session: Session):
    shop = make_shop(session, currency="NOK")
    set_retention(
        session,
        shop_id=shop.id,
        limits={"closed_cases_days": 30, "messages_days": 365, "expired_blocks_days": 90},
        actor=SYSTEM,
    )
    return shop


def _case(session: Session, shop, *, closed_days_ago: int, customer=None) -> Case:
    case = Case(
        shop_id=shop.id,
        customer_id=customer.id if customer else None,
        channel="email",
        status="closed",
        subject="Where is my parcel, Kari?",
        customer_email="kari@example.com",
        customer_name="Kari Nordmann",
        resolved_at=NOW - timedelta(days=closed_days_ago),
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
            created_at=NOW - timedelta(days=closed_days_ago + 1),
        )
    )
    session.flush()
    return case


def _bodies(session: Session, case: Case) -> list[str]:
    return list(session.scalars(select(CaseEntry.body).where(CaseEntry.case_id == case.id)))


def test_a_dry_run_lists_the_closed_case_past_its_limit_and_changes_nothing(session, shop):
    old = _case(session, shop, closed_days_ago=31)
    _case(session, shop, closed_days_ago=29)

    with frozen(NOW):
        report = apply_retention(session, actor=SYSTEM, dry_run=True)

    assert [(i.kind, i.ref_id) for i in report.items] == [("closed_case", old.id)]
    assert _bodies(session, old) == ["Call me on 91234567"]


def test_a_closed_case_past_its_limit_loses_its_messages_and_the_customers_name(session, shop):
    old = _case(session, shop, closed_days_ago=31)
    recent = _case(session, shop, closed_days_ago=29)

    with frozen(NOW):
        apply_retention(session, actor=SYSTEM)

    session.refresh(old)
    assert (old.customer_email, old.customer_name, old.subject, _bodies(session, old)) == (
        None,
        None,
        "",
        [""],
    )
    assert _bodies(session, recent) == ["Call me on 91234567"]


def test_the_pass_is_recorded_per_shop_with_counts_not_data(session, shop):
    _case(session, shop, closed_days_ago=31)

    with frozen(NOW):
        apply_retention(session, actor=SYSTEM)

    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.retention_applied"))
    assert (event.subject_id, event.data) == (str(shop.id), {"erased": {"closed_case": 1}})


def test_a_customer_under_a_legal_hold_keeps_their_case(session, shop):
    kari = make_customer(session, shop, email="kari@example.com")
    held = _case(session, shop, closed_days_ago=400, customer=kari)
    session.add(
        LegalHold(shop_id=shop.id, customer_id=kari.id, reason="a lawyer wrote", placed_by="owner@shop")
    )
    session.flush()

    with frozen(NOW):
        report = apply_retention(session, actor=SYSTEM)

    assert report.items == []
    assert _bodies(session, held) == ["Call me on 91234567"]


def _ended_entry(session: Session, shop, customer, days_ago: int) -> ListEntry:
    entry = ListEntry(
        shop_id=shop.id,
        kind="block",
        type="phone",
        value="+4791234567",
        display="+47 912 34 567",
        customer_id=customer.id,
        action="block",
        reason_code="fraud",
        created_by="owner",
        dedupe_key=f"k{days_ago}",
        status=EntryStatus.lifted,
        lifted_at=NOW - timedelta(days=days_ago),
    )
    session.add(entry)
    session.flush()
    return entry


def test_an_ended_blocks_identifier_past_its_limit_is_kept_only_as_a_keyed_hash(session, shop, erasure_key):
    kari = make_customer(session, shop)
    old = _ended_entry(session, shop, kari, 91)
    recent = _ended_entry(session, shop, kari, 89)

    with frozen(NOW):
        apply_retention(session, actor=SYSTEM)

    assert (old.value.startswith(PREFIX), old.display, recent.value) == (True, "", "+4791234567")


def test_without_an_erasure_key_an_ended_blocks_identifier_is_left_and_said(session, shop):
    kari = make_customer(session, shop)
    entry = _ended_entry(session, shop, kari, 91)

    with frozen(NOW):
        report = apply_retention(session, actor=SYSTEM)

    assert (report.skipped_without_key, entry.value) == (1, "+4791234567")


def test_limits_are_set_and_read_through_the_api(client, auth, session):
    shop = make_shop(session)
    body = {"closed_cases_days": 30, "messages_days": None, "expired_blocks_days": 180}

    client.put(f"/v1/shops/{shop.id}/retention", headers=auth(Role.admin), json=body)

    assert client.get(f"/v1/shops/{shop.id}/retention", headers=auth(Role.viewer)).json() == body


@pytest.mark.parametrize("days", [0, -1, 36501])
def test_a_limit_out_of_range_is_refused_and_nothing_changes(client, auth, session, days):
    shop = make_shop(session)

    answer = client.put(
        f"/v1/shops/{shop.id}/retention", headers=auth(Role.admin), json={"messages_days": days}
    )

    assert answer.status_code == 422
    assert "retention" not in (shop.settings or {})


def test_an_agent_may_not_set_limits(client, auth, session):
    shop = make_shop(session)

    answer = client.put(
        f"/v1/shops/{shop.id}/retention", headers=auth(Role.agent), json={"messages_days": 30}
    )

    assert answer.status_code == 403
    assert session.scalar(select(func.count()).where(AuditEvent.action == "privacy.retention_set")) == 0


def test_the_command_lists_what_is_due_in_a_dry_run(cli_db):
    with Session(cli_db) as session:
        shop = make_shop(session)
        set_retention(session, shop_id=shop.id, limits={"closed_cases_days": 1}, actor=SYSTEM)
        case = _case(session, shop, closed_days_ago=(datetime.now(UTC) - NOW).days + 2)
        case_id = case.id
        session.commit()

    result = CliRunner().invoke(cli, ["privacy", "retain", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"would erase closed case #{case_id}" in result.output


def test_a_run_through_the_api_is_dry_unless_asked(client, auth, session, shop):
    case = _case(session, shop, closed_days_ago=10000)

    answer = client.post("/v1/privacy/retention/run", headers=auth(Role.admin), json={}).json()

    assert (answer["dry_run"], answer["erased"], _bodies(session, case)) == (
        True,
        {str(shop.id): {"closed_case": 1, "message": 1}},
        ["Call me on 91234567"],
    )
