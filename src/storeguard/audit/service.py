"""Reading the audit log a page at a time, newest first, by key: never a count, never an offset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.models import AuditEvent
from storeguard.core.pages import KeysetPage, fetch_keyset

# How the audit log writes who acted ("staff:kari@example.com"); a name typed alone matches each kind.
ACTOR_KINDS = ("staff", "api_key", "cli", "webhook", "customer", "system")


def actor_names(typed: str) -> list[str]:
    """Return the stored actor strings a typed actor may mean: itself, or the name under each kind."""
    if ":" in typed:
        return [typed]
    return [typed, *(f"{kind}:{typed}" for kind in ACTOR_KINDS)]


def audit_page(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    after: tuple[datetime, int] | None = None,
    before: tuple[datetime, int] | None = None,
) -> KeysetPage[AuditEvent]:
    """Return one page of the events that match, newest first, after or before a row's key."""
    stmt = select(AuditEvent)
    if actor:
        stmt = stmt.where(AuditEvent.actor.in_(actor_names(actor)))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if subject_type:
        stmt = stmt.where(AuditEvent.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    # A plain range on the time beside the key's (time, id) pair lets the planner walk the time
    # index from the key instead of from the newest event.
    if after is not None:
        stmt = stmt.where(AuditEvent.at <= after[0])
    if before is not None:
        stmt = stmt.where(AuditEvent.at >= before[0])
    return fetch_keyset(
        session, stmt, (AuditEvent.at, AuditEvent.id), limit=limit, after=after, before=before
    )
