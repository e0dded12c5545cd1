"""Mail to a case's customer: queued in the outbox with its Message-ID chosen here, threaded after
the case's last message, and kept in the case's log as sent."""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.enums import CaseChannel, CaseError, EntryKind
from storeguard.cases.models import Case, CaseEntry
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Conflict
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import enqueue


def _sender_domain() -> str:
    return parseaddr(get_settings().mail_from)[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """A Message-ID for a mail storeguard sends (chosen before it is queued, so replies thread to it)."""
    return f"<case.{uuid.uuid4().hex[:24]}@{_sender_domain()}>"


def thread_headers(session: Session, case: Case) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for the next mail on a case: the last message, and the chain."""
    entries = list(
        session.scalars(
            select(CaseEntry)
            .where(
                CaseEntry.case_id == case.id,
                CaseEntry.kind != EntryKind.note,
                CaseEntry.message_id.is_not(None),
            )
            .order_by(CaseEntry.id)
        )
    )
    if not entries:
        return None, []
    inbound = [e for e in entries if e.kind == EntryKind.inbound]
    chain = list(inbound[-1].references) if inbound else []
    ids = [e.message_id for e in entries if e.message_id]
    return ids[-1], list(dict.fromkeys([*chain, *ids]))[-20:]


def send_case_mail(
    session: Session, *, case: Case, subject: str, text: str, author: str, language: str | None = None
) -> CaseEntry:
    """Queue a mail to the case's customer, threaded after its last message, and log it as sent."""
    if not case.customer_email:
        raise Conflict(CaseError.no_customer_address, "the case has no customer email address to answer")
    headers = next_mail_headers(session, case)
    outbox = enqueue(
        session,
        "email",
        {
            "to": case.customer_email,
            "subject": subject,
            "text": text,
            "language": language or case.language,
            **headers,
        },
    )
    return log_sent_mail(session, case=case, outbox=outbox, author=author)


def next_mail_headers(session: Session, case: Case) -> dict[str, Any]:
    """The Message-ID, In-Reply-To and References of the next mail on a case (for the outbox payload)."""
    in_reply_to, references = thread_headers(session, case)
    return {"message_id": new_message_id(), "in_reply_to": in_reply_to, "references": references}


def log_sent_mail(session: Session, *, case: Case, outbox: OutboxMessage, author: str) -> CaseEntry:
    """Keep a queued mail in the case's log as sent, in the words and headers it was queued with.

    Whoever rendered it (a reply, the merchant's notice template), the log shows what the customer
    gets: the entry is written once from the outbox payload and never edited.
    """
    payload = outbox.payload
    entry = CaseEntry(
        case_id=case.id,
        kind=EntryKind.outbound,
        channel=CaseChannel.email,
        author=author,
        subject=(payload.get("subject") or "")[:300],
        body=payload.get("text") or "",
        message_id=payload.get("message_id"),
        in_reply_to=payload.get("in_reply_to"),
        references=list(payload.get("references") or []),
        outbox_message_id=outbox.id,
        language=payload.get("language") or case.language,
        created_at=now(),
    )
    session.add(entry)
    session.flush()
    return entry
