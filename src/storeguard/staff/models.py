"""Staff users and their login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, UTCDateTime
from storeguard.core.enums import Language, Role


class StaffUser(Base):
    """A person who logs in to the admin pages, with the same roles API keys have.

    Only an Argon2 hash of the password is kept. Repeated failed logins lock the account for a
    while (``locked_until``); a deactivated user cannot log in and has no live session.
    """

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased: logins ignore case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    locale: Mapped[Language] = mapped_column(String(10), default=Language.en)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0)  # since the last good login or lock
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class StaffSession(Base):
    """One login: the browser holds a random token, the database its SHA-256 hash.

    A session ends when it expires, when its user logs out (here or everywhere), is deactivated
    or has the password reset. Its CSRF token is sent back with every form and htmx request.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
