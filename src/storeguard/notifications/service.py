"""Reading templates (the merchant's, else the shipped one) and the mail a customer was sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.models import NoticeTemplate, SentNotice
from storeguard.notifications.render import NOTICE_LANGUAGES, default_template


@dataclass(frozen=True, slots=True)
class TemplateText:
    """One kind and language's words, and whether they are the merchant's own."""

    kind: str
    language: str
    subject: str
    body: str
    custom: bool


def template_for(session: Session, shop_id: int, kind: NoticeKind, language: str) -> tuple[str, str]:
    """Return the subject and body a notice is rendered from: the merchant's, else the default."""
    row = session.scalar(
        select(NoticeTemplate).where(
            NoticeTemplate.shop_id == shop_id,
            NoticeTemplate.kind == kind,
            NoticeTemplate.language == language,
        )
    )
    return (row.subject, row.body) if row is not None else default_template(kind, language)


def templates(session: Session, shop_id: int) -> list[TemplateText]:
    """Return every kind in every language, the merchant's words where saved."""
    saved = {
        (r.kind, r.language): r
        for r in session.scalars(select(NoticeTemplate).where(NoticeTemplate.shop_id == shop_id))
    }
    found = []
    for kind in NoticeKind:
        for lang in NOTICE_LANGUAGES:
            row = saved.get((kind.value, lang))
            subject, body = (row.subject, row.body) if row is not None else default_template(kind, lang)
            found.append(TemplateText(kind.value, lang, subject, body, row is not None))
    return found


@dataclass(frozen=True, slots=True)
class MailSent:
    """One notice in a customer's log of mail, with how its sending went."""

    id: int
    kind: str
    language: str
    to: str
    subject: str
    status: str
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    last_error: str | None
    outbox_message_id: int


def mail_to_customer(session: Session, customer_id: int, *, limit: int = 100) -> list[MailSent]:
    """Return the notices sent (or waiting to be sent) to a customer, newest first."""
    rows = session.execute(
        select(SentNotice, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == SentNotice.outbox_message_id)
        .where(SentNotice.customer_id == customer_id)
        .order_by(SentNotice.id.desc())
        .limit(limit)
    ).all()
    return [
        MailSent(
            id=n.id,
            kind=n.kind,
            language=n.language,
            to=n.to,
            subject=n.subject,
            status=str(m.status),
            attempts=m.attempts,
            queued_at=n.created_at,
            sent_at=m.sent_at,
            last_error=m.last_error,
            outbox_message_id=m.id,
        )
        for n, m in rows
    ]
