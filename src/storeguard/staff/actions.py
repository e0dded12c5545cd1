"""The only code that changes staff users and sessions: check, change, audit, flush (never commit).

A login is an action too: a wrong password counts towards the lock, and that count must be
committed even though the login is refused, so ``log_in`` answers with an outcome instead of
raising.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor, parse_role
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.enums import Language, Role
from storeguard.core.errors import CommonError, Conflict, Invalid, parse_choice
from storeguard.staff import passwords, policy
from storeguard.staff.errors import StaffError
from storeguard.staff.models import StaffSession, StaffUser
from storeguard.staff.service import find_by_email, get_by_email, hash_token

SUBJECT = "staff_user"


def staff_actor(user: StaffUser) -> Actor:
    """Return the actor a logged-in staff user acts as (``staff:kari@example.com``)."""
    return Actor("staff", user.email, Role(user.role))


def create_staff_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    actor: Actor,
    locale: Language | str = Language.en,
) -> StaffUser:
    """Create a staff user with an Argon2 hash of ``password``; the email must be free."""
    address = _normalize_email(email)
    name = (name or "").strip()
    if not name:
        raise Invalid(CommonError.name_required, "a staff user needs a name", field="name")
    role = parse_role(role)
    locale = _locale(locale)
    _check_password(password)
    if find_by_email(session, address) is not None:
        raise Conflict(StaffError.email_taken, f"a staff user {address} already exists", field="email")
    user = StaffUser(
        email=address,
        name=name,
        role=role,
        locale=locale,
        active=True,
        password_hash=passwords.hash_password(password),
        failed_logins=0,
        password_changed_at=now(),
        created_at=now(),
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="staff_user.created",
        subject_type=SUBJECT,
        subject_id=user.id,
        after={"email": address, "name": name, "role": role.value, "locale": locale.value},
    )
    return user


def deactivate_staff_user(session: Session, *, email: str, actor: Actor) -> StaffUser:
    """Stop a staff user from logging in and end every session they have."""
    user = _lock_user(session, get_by_email(session, email).id)
    _keep_an_owner(session, user)
    user.active = False
    _end_sessions(session, user, actor=actor, action="staff_user.deactivated")
    return user


def change_staff_role(session: Session, *, email: str, role: Role | str, actor: Actor) -> StaffUser:
    """Give a staff user another role; the team always keeps an active owner."""
    new_role = parse_role(role)
    user = _lock_user(session, get_by_email(session, email).id)
    if user.role == new_role:
        return user
    _keep_an_owner(session, user)
    before = Role(user.role)
    user.role = new_role
    session.flush()
    record_event(
        session,
        actor=actor,
        action="staff_user.role_changed",
        subject_type=SUBJECT,
        subject_id=user.id,
        before={"role": before.value},
        after={"role": new_role.value},
    )
    return user


def reset_password(session: Session, *, email: str, password: str, actor: Actor) -> StaffUser:
    """Give a staff user a new password, lift a lock and end every session they have."""
    _check_password(password)
    user = _lock_user(session, get_by_email(session, email).id)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now()
    user.failed_logins = 0
    user.locked_until = None
    _end_sessions(session, user, actor=actor, action="staff_user.password_reset")
    return user


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a login attempt came to: a session and its raw token, or why not."""

    user: StaffUser | None = None
    staff_session: StaffSession | None = None
    token: str | None = None  # for the browser's cookie; only its hash is stored
    refusal: StaffError | None = None
    locked_until: datetime | None = None


def log_in(
    session: Session,
    *,
    email: str,
    password: str,
    lifetime: timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
    replaces: str | None = None,
) -> LoginOutcome:
    """Check an email and password and open a new session; count a failure and lock after too many.

    A session the browser already held (``replaces``, its raw token) is ended: a login always
    starts a session under a token nobody had before.
    """
    at = now()
    found = find_by_email(session, email)
    if found is None or not found.active:
        passwords.burn_time(password)
        return LoginOutcome(refusal=StaffError.invalid_credentials)
    user = _lock_user(session, found.id)
    if policy.is_locked(user.locked_until, at):
        return LoginOutcome(refusal=StaffError.account_locked, locked_until=user.locked_until)
    if not passwords.verify_password(user.password_hash, password):
        return _count_failure(session, user, at, ip)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    if replaces:
        _revoke(session, StaffSession.token_hash == hash_token(replaces))
    token = secrets.token_urlsafe(32)
    opened = StaffSession(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=at,
        expires_at=at + lifetime,
        ip=(ip or None) and ip[:45],
        user_agent=(user_agent or None) and user_agent[:300],
    )
    session.add(opened)
    session.flush()
    record_event(
        session,
        actor=staff_actor(user),
        action="staff_user.logged_in",
        subject_type=SUBJECT,
        subject_id=user.id,
        data={"session_id": opened.id, "ip": opened.ip},
    )
    return LoginOutcome(user=user, staff_session=opened, token=token)


def log_out(session: Session, *, staff_session: StaffSession, actor: Actor) -> None:
    """End one session (this browser's)."""
    if staff_session.revoked_at is None:
        staff_session.revoked_at = now()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="staff_user.logged_out",
        subject_type=SUBJECT,
        subject_id=staff_session.user_id,
        data={"session_id": staff_session.id},
    )


def log_out_everywhere(session: Session, *, user_id: int, actor: Actor) -> int:
    """End every live session of a user, on every device; return how many were ended."""
    user = _lock_user(session, user_id)
    return _end_sessions(session, user, actor=actor, action="staff_user.logged_out_everywhere")


def _count_failure(session: Session, user: StaffUser, at: datetime, ip: str | None) -> LoginOutcome:
    user.failed_logins += 1
    until = policy.lock_after_failure(user.failed_logins, at)
    if until is None:
        session.flush()
        return LoginOutcome(refusal=StaffError.invalid_credentials)
    failures, user.failed_logins, user.locked_until = user.failed_logins, 0, until
    session.flush()
    record_event(
        session,
        actor=Actor("visitor", ip or "unknown"),
        action="staff_user.locked",
        subject_type=SUBJECT,
        subject_id=user.id,
        reason=f"{failures} failed logins in a row",
        data={"failed_logins": failures, "locked_until": until.isoformat(), "ip": ip},
    )
    return LoginOutcome(refusal=StaffError.account_locked, locked_until=until)


def _end_sessions(session: Session, user: StaffUser, *, actor: Actor, action: str) -> int:
    """End every live session of ``user`` and record ``action`` with how many ended."""
    ended = _revoke(session, StaffSession.user_id == user.id, StaffSession.expires_at > now())
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type=SUBJECT,
        subject_id=user.id,
        data={"sessions_ended": ended},
    )
    return ended


def _revoke(session: Session, *where: ColumnElement[bool]) -> int:
    """End the unrevoked sessions that match; return how many (a person has a handful at most)."""
    live = list(
        session.scalars(
            select(StaffSession)
            .where(StaffSession.revoked_at.is_(None), *where)
            .with_for_update(key_share=True)
        )
    )
    for staff_session in live:
        staff_session.revoked_at = now()
    session.flush()
    return len(live)


def _lock_user(session: Session, user_id: int) -> StaffUser:
    user = session.scalar(
        select(StaffUser)
        .where(StaffUser.id == user_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert user is not None  # found a moment ago; staff users are never deleted
    return user


def _keep_an_owner(session: Session, user: StaffUser) -> None:
    """Refuse to take the owner role or the account from the last active owner."""
    if user.role != Role.owner or not user.active:
        return
    # Lock the other owners too, so two owners demoting each other at once cannot both succeed.
    others = session.scalars(
        select(StaffUser.id)
        .where(StaffUser.role == Role.owner, StaffUser.active, StaffUser.id != user.id)
        .with_for_update(key_share=True)
    ).all()
    if not others:
        raise Conflict(
            StaffError.last_owner,
            f"{user.email} is the last active owner; make someone else owner first",
            field="role",
        )


def _normalize_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(
            StaffError.invalid_email, f"{email!r} is not an email address: {exc}", field="email"
        ) from None


def _locale(locale: Language | str) -> Language:
    return parse_choice(Language, locale, code=StaffError.invalid_locale, field="locale", what="a language")


def _check_password(password: str) -> None:
    problem = policy.password_problem(password or "")
    if problem is not None:
        code, message = problem
        raise Invalid(code, message, field="password")
