"""API keys: made by the CLI, shown once, kept only as a hash, sent as ``Authorization: Bearer``."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor, parse_role
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, Invalid, NotFound, Unauthorized
from storeguard.core.models import ApiKey
from storeguard.core.prepared import Driver, Prepared

KEY_PREFIX = "sg_"


def hash_key(raw: str) -> str:
    """Hash a key for storage; keys are 256 random bits, so a plain SHA-256 is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, role: Role | str, actor: Actor) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw secret, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise Invalid(CommonError.name_required, "an API key needs a name", field="name")
    role = parse_role(role)
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name, role=role, prefix=prefix, key_hash=hash_key(raw), created_at=now())
    session.add(key)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="api_key.created",
        subject_type="api_key",
        subject_id=key.id,
        after={"name": name, "role": role.value, "prefix": prefix},
    )
    return key, raw


def list_api_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    """Return the keys, oldest first; only their prefix is known, never the secret."""
    stmt = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(stmt))


def revoke_api_key(session: Session, *, key_id: int, actor: Actor) -> ApiKey:
    """Revoke a key so it no longer authenticates."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(CommonError.api_key_not_found, f"no API key {key_id}")
    key.revoked_at = now()
    record_event(session, actor=actor, action="api_key.revoked", subject_type="api_key", subject_id=key.id)
    return key


def authenticate(session: Session | Driver, raw: str | None) -> Actor:
    """Return the actor a raw key stands for, or raise ``Unauthorized``."""
    if not raw:
        raise Unauthorized(CommonError.missing_api_key, "send an API key as 'Authorization: Bearer <key>'")
    rows = _KEY.rows(session, {"key_hash": hash_key(raw.strip())})
    if not rows or rows[0][2] is not None:
        raise Unauthorized(CommonError.invalid_api_key, "the API key is unknown or revoked")
    name, role, _ = rows[0]
    return Actor("api_key", name, Role(role))


# Every API request authenticates: one statement compiled once, no ORM object to build.
_KEY = Prepared(
    lambda: select(ApiKey.name, ApiKey.role, ApiKey.revoked_at).where(
        ApiKey.key_hash == bindparam("key_hash", type_=ApiKey.key_hash.type)
    )
)
