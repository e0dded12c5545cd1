"""Tables the core owns: the audit log, API keys, the outbox and runs of background work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, BigInteger, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.core.enums import OutboxStatus, Role, RunStatus


class AuditEvent(Base):
    """One change of state: who did what to which subject, why, and what it was before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Tamper evidence: each event's hash covers its content and the previous event's hash in its
    # chain (one per shop, "global" for events of no shop); ``storeguard audit verify`` rechecks.
    chain: Mapped[str] = mapped_column(String(40), default="global", server_default="global")
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # The SHA-256 of reason, before, after and data as recorded: the hash covers it, not the words,
    # so a person's data can be erased from an event (redacted_at says when) without breaking the chain.
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id", "id"),
        # Who did what: one person's events, newest first, without walking everyone's.
        Index("ix_audit_events_actor", "actor", "at", "id"),
        UniqueConstraint("chain", "seq"),
    )


class AuditChainHead(Base):
    """The last event of each audit chain: appending locks this row, so a chain never forks."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


# On PostgreSQL the database itself refuses to change or delete history, whoever asks: the
# migration creates this trigger, and so does create_all (tests, fresh installs). The one change let
# through is a redaction: only the words (reason, before, after, data) of an event that has a digest
# change, and the event is marked redacted; what the chain hashes stays as it was.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.redacted_at IS NOT NULL AND OLD.payload_digest IS NOT NULL
        AND NEW.payload_digest = OLD.payload_digest AND NEW.id = OLD.id AND NEW.at = OLD.at
        AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.subject_type = OLD.subject_type
        AND NEW.subject_id = OLD.subject_id AND NEW.chain = OLD.chain
        AND NEW.seq IS NOT DISTINCT FROM OLD.seq AND NEW.prev_hash IS NOT DISTINCT FROM OLD.prev_hash
        AND NEW.hash IS NOT DISTINCT FROM OLD.hash THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only, so ' || TG_OP || ' on audit_events is refused';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
event.listen(AuditEvent.__table__, "after_create", DDL(APPEND_ONLY_FUNCTION).execute_if(dialect="postgresql"))
event.listen(AuditEvent.__table__, "after_create", DDL(APPEND_ONLY_TRIGGER).execute_if(dialect="postgresql"))

REDACTABLE = frozenset({"reason", "before", "after", "data", "redacted_at"})


@event.listens_for(AuditEvent, "before_update")
def _audit_changes_only_by_redaction(_mapper: Any, _conn: Any, target: AuditEvent) -> None:
    state = inspect(target)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if target.redacted_at is None or target.payload_digest is None or not changed <= REDACTABLE:
        raise PermissionError("the audit log is append-only")


@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(_mapper: Any, _conn: Any, target: AuditEvent) -> None:
    raise PermissionError("the audit log is append-only")


class ApiKey(Base):
    """An API key; only its SHA-256 hash is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(20), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A side effect (mail, a Shopify call) written in the same transaction as the change.

    A worker sends it after the commit, so a rollback never leaves a mail sent.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(String(20), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)


class WorkRun(Base):
    """One long piece of work done in the background (a list import, a backtest): how far it got.

    The page that started it polls this row; ``result`` holds what the work answers when it is done
    (a backtest's figures, an import's bad rows) and ``error`` why it failed.
    """

    __tablename__ = "work_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(500))  # the file name, or what the work is over
    status: Mapped[RunStatus] = mapped_column(String(20), default=RunStatus.running)
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # what the work is to do
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_work_runs_kind", "kind", "id"),)
