"""Reading staff users and the session a browser's token stands for."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.errors import NotFound
from storeguard.staff.errors import StaffError
from storeguard.staff.models import StaffSession, StaffUser


def hash_token(raw: str) -> str:
    """Hash a session token for storage; tokens are 256 random bits, so SHA-256 is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


def find_by_email(session: Session, email: str) -> StaffUser | None:
    """Return the staff user with this email (any case), if any."""
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def get_by_email(session: Session, email: str) -> StaffUser:
    """Return the staff user with this email, or raise ``NotFound``."""
    user = find_by_email(session, email)
    if user is None:
        raise NotFound(StaffError.staff_user_not_found, f"no staff user {email}")
    return user


def list_staff_users(session: Session, *, include_inactive: bool = False) -> list[StaffUser]:
    """Return the staff users, oldest first."""
    stmt = select(StaffUser).order_by(StaffUser.id)
    if not include_inactive:
        stmt = stmt.where(StaffUser.active.is_(True))
    return list(session.scalars(stmt))


def session_by_token(session: Session, raw_token: str) -> tuple[StaffSession, StaffUser] | None:
    """Return the session a browser's token stands for and its user, live or not, or None."""
    row = session.execute(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == hash_token(raw_token))
    ).first()
    return None if row is None else (row[0], row[1])
