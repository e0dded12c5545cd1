"""Integration secrets encrypted at rest with Fernet; they are never printed back.

Webhook HMAC keys must be recoverable to compute signatures, so they are encrypted (a hash
would not do). The key comes from ``settings.secret_key`` or a file generated on first use.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import Settings, get_settings
from storeguard.core.errors import Invalid
from storeguard.integrations.enums import SecretScope
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.models import IntegrationSecret

KEY_FILE = "secret.key"


def _fernet_key(settings: Settings) -> bytes:
    if settings.secret_key:
        # Any operator-chosen string becomes a valid 32-byte Fernet key.
        return base64.urlsafe_b64encode(hashlib.sha256(settings.secret_key.encode()).digest())
    path = Path(settings.data_dir) / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def fernet(settings: Settings | None = None) -> Fernet:
    """Return the Fernet that encrypts integration secrets."""
    return Fernet(_fernet_key(settings or get_settings()))


@dataclass(frozen=True, slots=True)
class SecretPair:
    """The current secret and, during a rotation, the previous one."""

    current: str
    previous: str | None

    def candidates(self) -> list[str]:
        """Return the secrets to try, current first."""
        return [self.current] + ([self.previous] if self.previous else [])


def set_secret(
    session: Session,
    *,
    scope: SecretScope,
    owner: str,
    name: str,
    value: str,
    actor: Actor,
    keep_previous: bool = True,
) -> IntegrationSecret:
    """Store a secret encrypted; the old value stays valid as ``previous`` for a rotation."""
    if not value or not value.strip():
        raise Invalid(IntegrationError.secret_empty, "a secret may not be empty", field="secret")
    box = fernet()
    row = session.scalar(
        select(IntegrationSecret).where(
            IntegrationSecret.scope == scope, IntegrationSecret.owner == owner, IntegrationSecret.name == name
        )
    )
    rotated = row is not None
    if row is None:
        row = IntegrationSecret(scope=scope, owner=owner, name=name, current="")
        session.add(row)
    else:
        row.previous = row.current if keep_previous else None
    row.current = box.encrypt(value.encode()).decode()
    row.updated_at = now()
    session.flush()
    # The audit log says that a secret changed, never what it is.
    record_event(
        session,
        actor=actor,
        action="integration_secret.rotated" if rotated else "integration_secret.set",
        subject_type="integration_secret",
        subject_id=row.id,
        data={"scope": str(scope), "owner": owner, "name": name},
    )
    return row


def get_secret(session: Session, *, scope: SecretScope, owner: str, name: str) -> SecretPair | None:
    """Return the decrypted current and previous secret, or None when none is configured."""
    row = session.scalar(
        select(IntegrationSecret).where(
            IntegrationSecret.scope == scope, IntegrationSecret.owner == owner, IntegrationSecret.name == name
        )
    )
    if row is None:
        return None
    box = fernet()
    try:
        current = box.decrypt(row.current.encode()).decode()
        previous = box.decrypt(row.previous.encode()).decode() if row.previous else None
    except InvalidToken:
        # The key changed under the stored secrets: treat as unconfigured rather than crash.
        return None
    return SecretPair(current, previous)


def clear_previous(session: Session, *, scope: SecretScope, owner: str, name: str) -> None:
    """End a rotation: forget the previous secret."""
    row = session.scalar(
        select(IntegrationSecret).where(
            IntegrationSecret.scope == scope, IntegrationSecret.owner == owner, IntegrationSecret.name == name
        )
    )
    if row is not None:
        row.previous = None
        session.flush()
