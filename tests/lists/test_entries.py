"""List entries: idempotent create, clear refusals that change nothing, update, lift, expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.clock import frozen
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.lists.actions import create_entry, expire_due_entries, lift_entry, update_entry
from storeguard.lists.models import ListEntry
from storeguard.lists.reasons import create_reason_code, list_reason_codes
from tests.factories import make_shop
from tests.lists.helpers import AGENT, OWNER, block_entry


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, country="NO", currency="NOK")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ListEntry))


def test_create_entry_normalizes_the_value_and_a_repeat_returns_the_existing_entry(
    session: Session, shop
) -> None:
    first, created = create_entry(
        session,
        shop_id=shop.id,
        type="email",
        value=" Kari.N+x@GMAIL.com ",
        reason_code="fraud",
        evidence={"notes": ["x"]},
        actor=AGENT,
    )
    again, created_again = create_entry(
        session,
        shop_id=shop.id,
        type="email",
        value="karin@gmail.com",
        reason_code="fraud",
        evidence={"notes": ["other words"]},
        actor=AGENT,
    )
    assert (first.value, first.display, created) == ("karin@gmail.com", "Kari.N+x@GMAIL.com", True)
    assert (again.id, created_again) == (first.id, False)
    assert _count(session) == 1


def test_the_same_identifier_with_another_scope_is_another_entry(session: Session, shop) -> None:
    block_entry(session, shop.id, "phone", "91234567")
    block_entry(session, shop.id, "phone", "91234567", scope={"kind": "high_value"})
    assert _count(session) == 2


@pytest.mark.parametrize(
    ("type_", "value", "code", "field"),
    [
        ("email", "not an email", "invalid_email", "email"),
        ("phone", "12", "invalid_phone", "phone"),
        ("ip", "300.1.1.1", "invalid_ip", "ip"),
        ("cidr", "10.0.0.0/40", "invalid_cidr", "cidr"),
        ("country", "XX", "invalid_country", "country"),
        ("shoe_size", "42", "invalid_entry_type", "type"),
        ("customer", "Kari", "invalid_customer_id", "value"),
    ],
)
def test_create_entry_refuses_an_unreadable_value_naming_field_and_value(
    session: Session, shop, type_: str, value: str, code: str, field: str
) -> None:
    with pytest.raises(Invalid) as err:
        block_entry(session, shop.id, type_, value)
    named = type_ if field == "type" else value  # the bad type is named, not the value
    assert (err.value.code, err.value.field, err.value.extra["value"]) == (code, field, named)
    assert _count(session) == 0


def test_an_entry_for_a_customer_the_shop_does_not_have_is_404_customer_not_found(
    session: Session, shop
) -> None:
    with pytest.raises(NotFound) as err:
        block_entry(session, shop.id, "customer", 987654)
    assert (err.value.code, err.value.status, err.value.field) == ("customer_not_found", 404, "value")
    assert _count(session) == 0


def test_an_allow_entry_applies_to_everything_and_needs_a_note(session: Session, shop) -> None:
    with pytest.raises(Invalid) as err:
        create_entry(
            session, shop_id=shop.id, kind="allow", type="email", value="a@b.no", action=None, actor=AGENT
        )
    assert err.value.code == "note_required"
    with pytest.raises(Invalid) as err:
        create_entry(
            session,
            shop_id=shop.id,
            kind="allow",
            type="email",
            value="a@b.no",
            action=None,
            note="friend",
            scope={"kind": "high_value"},
            actor=AGENT,
        )
    assert err.value.code == "invalid_scope"
    assert _count(session) == 0


def test_update_entry_changes_action_and_adds_evidence_with_an_audit_record(session: Session, shop) -> None:
    entry = block_entry(session, shop.id, "device_id", "dev-1")
    update_entry(
        session, entry_id=entry.id, actor=AGENT, action="review", add_evidence={"notes": ["seen again"]}
    )
    assert (entry.action, entry.evidence) == ("review", {"notes": ["seen in test", "seen again"]})
    updated = events_for(session, "list_entry", entry.id)[-1]
    assert (updated.action, updated.before["action"], updated.after["action"]) == (
        "list_entry.updated",
        "block",
        "review",
    )


def test_lift_entry_keeps_it_on_record_and_refuses_a_second_lift(session: Session, shop) -> None:
    entry = block_entry(session, shop.id, "device_id", "dev-1")
    lift_entry(session, entry_id=entry.id, actor=AGENT, reason="device sold second hand")
    assert (entry.status, entry.lifted_by, entry.lift_reason) == (
        "lifted",
        str(AGENT),
        "device sold second hand",
    )
    with pytest.raises(Conflict) as err:
        lift_entry(session, entry_id=entry.id, actor=AGENT, reason="again")
    assert err.value.code == "entry_not_active"
    with pytest.raises(Conflict):
        update_entry(session, entry_id=entry.id, actor=AGENT, action="review")


def test_a_lifted_entry_can_be_made_again_as_a_new_entry(session: Session, shop) -> None:
    entry = block_entry(session, shop.id, "device_id", "dev-1")
    lift_entry(session, entry_id=entry.id, actor=AGENT, reason="mistake")
    again = block_entry(session, shop.id, "device_id", "dev-1")
    assert again.id != entry.id and _count(session) == 2


def test_expiry_must_be_in_the_future_and_expired_entries_are_marked(session: Session, shop) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with frozen(start):
        with pytest.raises(Invalid) as err:
            block_entry(session, shop.id, "phone", "91234567", expires_at=start)
        assert err.value.code == "invalid_expiry"
        entry = block_entry(session, shop.id, "phone", "91234567", expires_at=start + timedelta(days=1))
    with frozen(start + timedelta(days=2)):
        assert expire_due_entries(session, shop.id) == 1
        assert entry.status == "expired"
        fresh = block_entry(session, shop.id, "phone", "91234567")
    assert fresh.id != entry.id


def test_reason_codes_are_seeded_with_the_defaults_and_the_merchant_can_add_one(
    session: Session, shop
) -> None:
    codes = [r.code for r in list_reason_codes(session, shop.id)]
    assert codes == [
        "fraud",
        "chargeback_abuse",
        "return_abuse",
        "abusive_language",
        "threats",
        "policy_exploitation",
        "other",
    ]
    reason = create_reason_code(
        session,
        shop_id=shop.id,
        code="reseller",
        label="Reseller",
        descriptions={"en": "Orders were bought to resell.", "nb": "Kjøpt for videresalg."},
        actor=OWNER,
    )
    assert reason.descriptions["nb"] == "Kjøpt for videresalg."
    with pytest.raises(Conflict):
        create_reason_code(
            session, shop_id=shop.id, code="reseller", label="x", descriptions={"en": "x"}, actor=OWNER
        )
    with pytest.raises(Invalid) as err:
        create_reason_code(
            session, shop_id=shop.id, code="Bad Code", label="x", descriptions={"en": "x"}, actor=OWNER
        )
    assert err.value.code == "invalid_reason_code"
