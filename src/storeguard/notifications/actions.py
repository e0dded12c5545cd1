"""Saving the merchant's templates, and sending a notice: render, queue in the outbox, log. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Invalid
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import enqueue
from storeguard.customers.models import Customer
from storeguard.notifications.enums import NoticeKind, NotificationError
from storeguard.notifications.models import NoticeTemplate, SentNotice
from storeguard.notifications.render import NOTICE_LANGUAGES, check_template, notice_language, render
from storeguard.notifications.service import template_for
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop


def parse_kind(raw: str) -> NoticeKind:
    """Read a notice kind, or refuse it with every kind named."""
    try:
        return NoticeKind(raw)
    except ValueError:
        raise Invalid(
            NotificationError.unknown_kind,
            f"no notice kind {raw!r}; kinds are {', '.join(NoticeKind)}",
            field="kind",
        ) from None


def parse_language(raw: str) -> str:
    """Read a notice language, or refuse it with every language named."""
    if raw not in NOTICE_LANGUAGES:
        raise Invalid(
            NotificationError.unknown_language,
            f"no notice language {raw!r}; languages are {', '.join(NOTICE_LANGUAGES)}",
            field="language",
        )
    return raw


def save_template(
    session: Session, *, shop_id: int, kind: str, language: str, subject: str, body: str, actor: Actor
) -> NoticeTemplate:
    """Save the merchant's template for a kind and language, once it renders with only known variables."""
    get_shop(session, shop_id)
    the_kind, lang = parse_kind(kind), parse_language(language)
    check_template(the_kind, lang, subject, body)
    row = session.scalar(
        select(NoticeTemplate)
        .where(
            NoticeTemplate.shop_id == shop_id,
            NoticeTemplate.kind == the_kind,
            NoticeTemplate.language == lang,
        )
        .with_for_update(key_share=True)
    )
    before = None if row is None else {"subject": row.subject, "body": row.body}
    if row is None:
        row = NoticeTemplate(
            shop_id=shop_id, kind=the_kind.value, language=lang, subject="", body="", updated_by=""
        )
        session.add(row)
    row.subject, row.body = subject.strip(), body.strip()
    row.updated_by, row.updated_at = str(actor), now()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="notice_template.saved",
        subject_type="notice_template",
        subject_id=row.id,
        before=before,
        after={"kind": row.kind, "language": lang, "subject": row.subject, "body": row.body},
    )
    return row


def reset_template(session: Session, *, shop_id: int, kind: str, language: str, actor: Actor) -> None:
    """Go back to the shipped words for a kind and language (the merchant's are kept in the audit log)."""
    the_kind, lang = parse_kind(kind), parse_language(language)
    row = session.scalar(
        select(NoticeTemplate)
        .where(
            NoticeTemplate.shop_id == shop_id,
            NoticeTemplate.kind == the_kind,
            NoticeTemplate.language == lang,
        )
        .with_for_update(key_share=True)
    )
    if row is None:
        return
    record_event(
        session,
        actor=actor,
        action="notice_template.reset",
        subject_type="notice_template",
        subject_id=row.id,
        before={"kind": row.kind, "language": lang, "subject": row.subject, "body": row.body},
    )
    session.delete(row)
    session.flush()


def send_notice(
    session: Session,
    *,
    kind: NoticeKind | str,
    customer: Customer | None,
    context: dict[str, Any],
    shop: Shop | None = None,
    to: str | None = None,
    language: str | None = None,
    dedupe_key: str | None = None,
    links: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Render the merchant's template for this kind in the customer's language, queue it as mail, log it.

    ``to`` defaults to the customer's address and ``language`` to their locale; ``links`` (block,
    order, appeal ids) ride along in the outbox payload. Sent after the commit by the SMTP sender.
    """
    the_kind = parse_kind(str(kind))
    address = (to or (customer.email if customer is not None else None) or "").strip()
    if not address:
        raise Invalid(NotificationError.no_address, "the customer has no email address to send the notice to")
    if shop is None:
        if customer is None:
            raise Invalid(NotificationError.no_address, "a notice needs its shop or its customer")
        shop = get_shop(session, customer.shop_id)
    lang = notice_language(language or (customer.locale if customer is not None else None))
    subject, body = template_for(session, shop.id, the_kind, lang)
    name = (customer.first_name or customer.name or "") if customer is not None else ""
    notice = render(the_kind, lang, subject, body, {"customer_name": name, "shop_name": shop.name, **context})
    payload = {
        "to": address,
        "subject": notice.subject,
        "text": notice.text,
        "html": notice.html,
        "language": notice.language,
        "dir": notice.direction,
        "shop_id": shop.id,
        "customer_id": customer.id if customer is not None else None,
        "template": the_kind.value,
        "context": context,
        **(links or {}),
    }
    message = enqueue(session, "email", payload, dedupe_key=dedupe_key)
    logged = session.scalar(select(SentNotice).where(SentNotice.outbox_message_id == message.id))
    if logged is None:  # a repeated dedupe key returned the first message: it is logged already
        session.add(
            SentNotice(
                shop_id=shop.id,
                customer_id=customer.id if customer is not None else None,
                kind=the_kind.value,
                language=notice.language,
                to=address,
                subject=notice.subject,
                outbox_message_id=message.id,
            )
        )
        session.flush()
    return message
