"""Pure rules about staff logins: when an account locks, when a session is over, what a password needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from storeguard.staff.errors import StaffError

# Five wrong passwords in a row lock the account for fifteen minutes: slow enough to stop a
# guessing run, short enough that a person who mistyped is not shut out for the day.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


def is_locked(locked_until: datetime | None, at: datetime) -> bool:
    """Tell whether an account locked until ``locked_until`` is still locked at ``at``."""
    return locked_until is not None and at < locked_until


def lock_after_failure(failed_logins: int, at: datetime) -> datetime | None:
    """Return until when to lock an account that has now failed ``failed_logins`` times, or None."""
    return at + LOCK_DURATION if failed_logins >= MAX_FAILED_LOGINS else None


def session_is_live(expires_at: datetime, revoked_at: datetime | None, active: bool, at: datetime) -> bool:
    """Tell whether a session still lets its user in at ``at``."""
    return active and revoked_at is None and at < expires_at


def password_problem(password: str) -> tuple[StaffError, str] | None:
    """Return why a chosen password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return StaffError.weak_password, f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return StaffError.weak_password, f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    if password.strip() != password or not password.isprintable():
        return (
            StaffError.weak_password,
            "a password cannot start or end with spaces or hold control characters",
        )
    return None


def is_safe_next(path: str | None) -> bool:
    """Tell whether a ``next`` address after login stays on this site (a path, never another host)."""
    return bool(path) and path.startswith("/") and not path.startswith(("//", "/\\")) and "\n" not in path
