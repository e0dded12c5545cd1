"""Staff users, logins and sessions: what each action changes, and what a refusal leaves alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import extract_parameters
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.core.errors import DomainError
from storeguard.core.models import AuditEvent
from storeguard.staff import actions, passwords
from storeguard.staff.errors import StaffError
from storeguard.staff.models import StaffSession, StaffUser
from storeguard.staff.service import session_by_token
from tests.factories import FACTORY_ACTOR, STAFF_PASSWORD, make_staff_user

HOURS = timedelta(hours=12)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _audit(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _log_in(session: Session, email: str, password: str = STAFF_PASSWORD, **kw) -> actions.LoginOutcome:  # noqa: ANN003
    return actions.log_in(session, email=email, password=password, lifetime=HOURS, **kw)


def test_create_staff_user_keeps_an_argon2id_hash_and_never_the_password(session):
    user = make_staff_user(session, "viewer", email="Kari.Nordmann@Example.com", locale="nb")

    assert (user.email, user.role, user.locale, user.active) == (
        "kari.nordmann@example.com",
        "viewer",
        "nb",
        True,
    )
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash
    assert [e.after for e in _audit(session, "staff_user.created")] == [
        {"email": "kari.nordmann@example.com", "name": user.name, "role": "viewer", "locale": "nb"}
    ]


def test_passwords_are_hashed_with_rfc_9106_low_memory_parameters_outside_tests():
    parameters = extract_parameters(
        passwords.PasswordHasher.from_parameters(passwords.PARAMETERS).hash("x" * 12)
    )

    assert (parameters.type.name, parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        "ID",
        65536,
        3,
        4,
    )


def test_create_staff_user_refuses_an_email_taken_in_another_case(session):
    make_staff_user(session, email="kari@example.com")
    before = _count(session, StaffUser)

    with pytest.raises(DomainError) as refused:
        make_staff_user(session, email="KARI@example.com")

    assert (refused.value.code, refused.value.field) == ("email_taken", "email")
    assert _count(session, StaffUser) == before


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "invalid_email"),
        ("role", "superuser", "invalid_role"),
        ("locale", "fr", "invalid_locale"),
        ("password", "short", "weak_password"),
        ("password", " padded password ", "weak_password"),
        ("name", "   ", "name_required"),
    ],
)
def test_create_staff_user_refuses_bad_input_naming_the_field(session, field, value, code):
    given = {
        "email": "ola@example.com",
        "name": "Ola",
        "role": "agent",
        "password": STAFF_PASSWORD,
        "locale": "en",
    }

    with pytest.raises(DomainError) as refused:
        actions.create_staff_user(session, **{**given, field: value}, actor=FACTORY_ACTOR)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert _count(session, StaffUser) == 0


def test_log_in_opens_a_session_whose_token_finds_it_and_audits_the_login(session):
    user = make_staff_user(session, email="kari@example.com")

    with frozen(T0):
        outcome = _log_in(session, "KARI@example.com", ip="203.0.113.9", user_agent="Firefox")

    found = session_by_token(session, outcome.token)
    assert outcome.refusal is None and found is not None
    assert (found[0].id, found[1].id) == (outcome.staff_session.id, user.id)
    assert (found[0].expires_at, found[0].ip, found[0].user_agent) == (T0 + HOURS, "203.0.113.9", "Firefox")
    assert outcome.token not in found[0].token_hash and len(found[0].csrf_token) >= 40
    assert user.last_login_at == T0
    assert [(e.actor, e.data["ip"]) for e in _audit(session, "staff_user.logged_in")] == [
        ("staff:kari@example.com", "203.0.113.9")
    ]


def test_log_in_refuses_a_wrong_password_counts_it_and_opens_no_session(session):
    user = make_staff_user(session, email="kari@example.com")

    outcome = _log_in(session, "kari@example.com", "wrong password")

    assert (outcome.refusal, outcome.token) == (StaffError.invalid_credentials, None)
    assert (user.failed_logins, user.locked_until) == (1, None)
    assert _count(session, StaffSession) == 0


def test_log_in_answers_an_unknown_email_as_it_answers_a_wrong_password(session):
    outcome = _log_in(session, "nobody@example.com")

    assert (outcome.refusal, outcome.token, outcome.locked_until) == (
        StaffError.invalid_credentials,
        None,
        None,
    )
    assert _count(session, StaffSession) == 0


def test_the_fifth_failed_login_in_a_row_locks_the_account_and_is_audited(session):
    user = make_staff_user(session, email="kari@example.com")

    with frozen(T0):
        outcomes = [
            _log_in(session, "kari@example.com", "wrong password", ip="198.51.100.7") for _ in range(5)
        ]

    assert [o.refusal for o in outcomes] == [StaffError.invalid_credentials] * 4 + [StaffError.account_locked]
    assert (user.locked_until, user.failed_logins) == (T0 + timedelta(minutes=15), 0)
    locked = _audit(session, "staff_user.locked")
    assert [(e.actor, e.subject_id, e.data["failed_logins"]) for e in locked] == [
        ("visitor:198.51.100.7", str(user.id), 5)
    ]


def test_a_locked_account_refuses_the_right_password_until_the_lock_ends(session):
    user = make_staff_user(session, email="kari@example.com")
    with frozen(T0):
        for _ in range(5):
            _log_in(session, "kari@example.com", "wrong password")

    with frozen(T0 + timedelta(minutes=14)):
        during = _log_in(session, "kari@example.com")
    with frozen(T0 + timedelta(minutes=15)):
        after = _log_in(session, "kari@example.com")

    assert (during.refusal, during.token) == (StaffError.account_locked, None)
    assert after.refusal is None and after.token is not None
    assert (user.locked_until, user.failed_logins) == (None, 0)


def test_log_in_ends_the_session_the_browser_held_before(session):
    make_staff_user(session, email="kari@example.com")
    first = _log_in(session, "kari@example.com")

    second = _log_in(session, "kari@example.com", replaces=first.token)

    assert first.staff_session.revoked_at is not None
    assert second.staff_session.revoked_at is None and second.token != first.token


def test_a_deactivated_user_loses_every_session_and_cannot_log_in(session):
    make_staff_user(session, email="kari@example.com")
    opened = [_log_in(session, "kari@example.com") for _ in range(2)]

    actions.deactivate_staff_user(session, email="kari@example.com", actor=FACTORY_ACTOR)
    again = _log_in(session, "kari@example.com")

    assert [o.staff_session.revoked_at is not None for o in opened] == [True, True]
    assert (again.refusal, again.token) == (StaffError.invalid_credentials, None)
    assert [e.data for e in _audit(session, "staff_user.deactivated")] == [{"sessions_ended": 2}]


def test_reset_password_lifts_a_lock_ends_sessions_and_only_the_new_password_works(session):
    user = make_staff_user(session, email="kari@example.com")
    live = _log_in(session, "kari@example.com")
    for _ in range(5):
        _log_in(session, "kari@example.com", "wrong password")

    actions.reset_password(
        session, email="kari@example.com", password="a brand new secret", actor=FACTORY_ACTOR
    )

    assert (user.locked_until, live.staff_session.revoked_at is not None) == (None, True)
    assert _log_in(session, "kari@example.com").refusal == StaffError.invalid_credentials
    assert _log_in(session, "kari@example.com", "a brand new secret").refusal is None


def test_reset_password_refuses_a_weak_password_and_changes_nothing(session):
    user = make_staff_user(session, email="kari@example.com")
    before = user.password_hash

    with pytest.raises(DomainError) as refused:
        actions.reset_password(session, email="kari@example.com", password="short", actor=FACTORY_ACTOR)

    assert refused.value.code == "weak_password"
    assert user.password_hash == before
    assert _audit(session, "staff_user.password_reset") == []


def test_log_out_everywhere_ends_every_live_session_of_the_user_only(session):
    kari = make_staff_user(session, email="kari@example.com")
    make_staff_user(session, email="ola@example.com")
    karis = [_log_in(session, "kari@example.com") for _ in range(3)]
    olas = _log_in(session, "ola@example.com")

    ended = actions.log_out_everywhere(session, user_id=kari.id, actor=actions.staff_actor(kari))

    assert ended == 3
    assert [o.staff_session.revoked_at is not None for o in karis] == [True, True, True]
    assert olas.staff_session.revoked_at is None


def test_a_hash_made_with_other_parameters_is_redone_at_the_next_login(session, monkeypatch):
    user = make_staff_user(session, email="kari@example.com")
    old = user.password_hash
    monkeypatch.setattr(
        passwords, "hasher", passwords.PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    )

    assert _log_in(session, "kari@example.com").refusal is None

    assert user.password_hash != old
    assert "m=1024,t=2,p=1" in user.password_hash


def test_change_staff_role_gives_the_new_role_and_records_before_and_after(session):
    make_staff_user(session, "owner", email="owner@example.com")
    user = make_staff_user(session, "agent", email="kari@example.com")

    actions.change_staff_role(session, email="kari@example.com", role="admin", actor=FACTORY_ACTOR)

    assert user.role == "admin"
    events = _audit(session, "staff_user.role_changed")
    assert [(e.before, e.after) for e in events] == [({"role": "agent"}, {"role": "admin"})]


def test_the_last_active_owner_cannot_be_demoted_and_nothing_changes(session):
    owner = make_staff_user(session, "owner", email="owner@example.com")

    with pytest.raises(DomainError) as refused:
        actions.change_staff_role(session, email="owner@example.com", role="agent", actor=FACTORY_ACTOR)

    assert (refused.value.code, refused.value.status) == ("last_owner", 409)
    assert owner.role == "owner"
    assert _audit(session, "staff_user.role_changed") == []


def test_the_last_active_owner_cannot_be_deactivated(session):
    owner = make_staff_user(session, "owner", email="owner@example.com")
    make_staff_user(session, "owner", email="former@example.com")
    actions.deactivate_staff_user(session, email="former@example.com", actor=FACTORY_ACTOR)

    with pytest.raises(DomainError) as refused:
        actions.deactivate_staff_user(session, email="owner@example.com", actor=FACTORY_ACTOR)

    assert refused.value.code == "last_owner"
    assert owner.active is True


def test_an_owner_may_step_down_when_another_owner_remains(session):
    first = make_staff_user(session, "owner", email="first@example.com")
    make_staff_user(session, "owner", email="second@example.com")

    actions.change_staff_role(session, email="first@example.com", role="viewer", actor=FACTORY_ACTOR)

    assert first.role == "viewer"
