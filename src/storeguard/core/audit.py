"""Recording and reading the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import now
from storeguard.core.models import AuditEvent


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (``order.cancelled``) and flush it with the change it describes."""
    entry = AuditEvent(
        at=now(),
        actor=str(actor),
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        reason=reason,
        before=before,
        after=after,
        data=data,
    )
    session.add(entry)
    session.flush()
    return entry


def events_for(session: Session, subject_type: str, subject_id: int | str) -> list[AuditEvent]:
    """Return a subject's events, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))
