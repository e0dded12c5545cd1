"""Writing side effects to the outbox and handing due ones to their senders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.enums import OutboxStatus
from storeguard.core.errors import CommonError, NotFound
from storeguard.core.models import OutboxMessage

MAX_ATTEMPTS = 8


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue a side effect in the caller's transaction; a repeated dedupe key returns the first.

    ``not_before`` holds it until then (a reminder before a deadline).
    """
    if dedupe_key is not None:
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    message = OutboxMessage(
        kind=kind, payload=payload, dedupe_key=dedupe_key, next_attempt_at=not_before or now()
    )
    session.add(message)
    session.flush()
    return message


class RetryLater(Exception):
    """A sender raises this to be tried again after ``delay`` (e.g. a throttled API)."""

    def __init__(self, message: str, delay: timedelta | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class GiveUp(Exception):
    """A sender raises this when trying again cannot help (refused by the API): dead at once."""


def withdraw_pending(session: Session, dedupe_prefix: str) -> int:
    """Take back queued messages not sent yet whose dedupe key starts with ``dedupe_prefix``."""
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.pending, OutboxMessage.dedupe_key.startswith(dedupe_prefix)
        )
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next attempt: 2^n seconds, capped at an hour."""
    return timedelta(seconds=min(3600, 2**attempts))


def deliver_due(
    session: Session,
    senders: dict[str, Callable[[OutboxMessage], None]],
    *,
    limit: int = 100,
    kinds: list[str] | None = None,
) -> int:
    """Send due messages of the given kinds; each result is committed one message at a time."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if kinds:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    ids = list(session.scalars(stmt.with_only_columns(OutboxMessage.id)))
    done = 0
    for message_id in ids:
        query = select(OutboxMessage).where(OutboxMessage.id == message_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, key_share=True)
        message = session.scalar(query)
        if message is None or message.status != OutboxStatus.pending:
            session.rollback()
            continue
        sender = senders.get(message.kind)
        if sender is None:
            session.rollback()
            continue
        message.attempts += 1
        try:
            sender(message)
        except GiveUp as exc:
            message.last_error = str(exc)
            message.status = OutboxStatus.dead
        except RetryLater as exc:
            message.last_error = str(exc)
            message.next_attempt_at = now() + (exc.delay or backoff(message.attempts))
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.dead
        except Exception as exc:  # a sender's failure is recorded, never lost
            message.last_error = f"{type(exc).__name__}: {exc}"
            message.next_attempt_at = now() + backoff(message.attempts)
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.dead
        else:
            message.status = OutboxStatus.sent
            message.sent_at = now()
            message.last_error = None
            done += 1
        session.commit()
    return done


def retry_dead(session: Session, message_id: int) -> OutboxMessage:
    """Put a dead message back in the queue (a person decided to try again)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(CommonError.outbox_message_not_found, f"no outbox message {message_id}")
    message.status = OutboxStatus.pending
    message.attempts = 0
    message.next_attempt_at = now()
    session.flush()
    return message
