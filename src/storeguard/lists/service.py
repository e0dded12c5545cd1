"""Reading list entries and blocks, and turning match results into plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.pages import KeysetPage, fetch_keyset, fetch_page
from storeguard.customers.models import Customer
from storeguard.lists.blocking import appeal_url
from storeguard.lists.enums import BlockStatus, EntryStatus
from storeguard.lists.matching import Match, MatchResult
from storeguard.lists.models import CustomerBlock, ListEntry, ReasonCode
from storeguard.lists.notices import NOTICE_LANGUAGES, Notice, notice_language, render_notice
from storeguard.lists.reasons import list_reason_codes, plain_words
from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.service import template_for
from storeguard.shops.models import Shop


def list_entries(
    session: Session,
    *,
    shop_id: int | None = None,
    kind: str | None = None,
    type: str | None = None,
    value: str | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    reason_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ListEntry], int]:
    """Return a page of entries matching the filters (``status=active`` leaves out the expired)."""
    stmt = select(ListEntry)
    for column, wanted in (
        (ListEntry.shop_id, shop_id),
        (ListEntry.kind, kind),
        (ListEntry.type, type),
        (ListEntry.value, value),
        (ListEntry.customer_id, customer_id),
        (ListEntry.reason_code, reason_code),
    ):
        if wanted is not None:
            stmt = stmt.where(column == wanted)
    at = now()
    if status == EntryStatus.active:
        stmt = stmt.where(
            ListEntry.status == "active", (ListEntry.expires_at.is_(None)) | (ListEntry.expires_at > at)
        )
    elif status == EntryStatus.expired:
        stmt = stmt.where(
            (ListEntry.status == "expired") | ((ListEntry.status == "active") & (ListEntry.expires_at <= at))
        )
    elif status is not None:
        stmt = stmt.where(ListEntry.status == status)
    return fetch_page(session, stmt, ListEntry.id, limit=limit, offset=offset)


def block_data(session: Session, block: CustomerBlock) -> dict[str, Any]:
    """Return a block with its entries and appeal link, ready for ``BlockRead``."""
    entry_ids = list(
        session.scalars(select(ListEntry.id).where(ListEntry.block_id == block.id).order_by(ListEntry.id))
    )
    fields = {c.key: getattr(block, c.key) for c in CustomerBlock.__table__.columns}
    return {**fields, "entry_ids": entry_ids, "appeal_url": appeal_url(block)}


def blocks_of(session: Session, customer_id: int) -> list[CustomerBlock]:
    """Return every block the customer has had, oldest first (lifted ones included)."""
    return list(
        session.scalars(
            select(CustomerBlock).where(CustomerBlock.customer_id == customer_id).order_by(CustomerBlock.id)
        )
    )


def match_data(item: Match) -> dict[str, Any]:
    """Return one match as plain data."""
    return {
        "entry_id": item.entry_id,
        "kind": item.kind,
        "type": item.type,
        "value": item.value,
        "via": item.via,
        "action": item.action,
        "reason_code": item.reason_code,
        "scope": item.scope,
        "matched_keys": [{"type": t, "value": v} for t, v in item.matched_keys],
        "via_customer_id": item.via_customer_id,
        "path_text": item.path.text() if item.path else None,
        "path": item.path.as_dict() if item.path else None,
        "line_indexes": item.line_indexes,
        "scope_checked": item.scope_checked,
        "restriction": item.restriction,
        "overridden_by": item.overridden_by,
        "explanation": item.explanation,
    }


def result_data(result: MatchResult, keys: list[tuple[str, str]]) -> dict[str, Any]:
    """Return a whole match result as plain data."""
    return {
        "keys": [{"type": t, "value": v} for t, v in keys],
        "strongest_action": result.strongest_action,
        "matches": [match_data(m) for m in result.matches],
        "allows": [match_data(m) for m in result.allows],
        "out_of_scope": [match_data(m) for m in result.out_of_scope],
    }


def block_summary(session: Session, *, week_ago: datetime, week_ahead: datetime) -> tuple[int, int]:
    """Return how many customer blocks were made since ``week_ago``, and how many active ones end by ``week_ahead``."""
    made = session.scalar(select(func.count(CustomerBlock.id)).where(CustomerBlock.created_at >= week_ago))
    expiring = session.scalar(
        select(func.count(CustomerBlock.id)).where(
            CustomerBlock.status == BlockStatus.active,
            CustomerBlock.expires_at.is_not(None),
            CustomerBlock.expires_at > now(),
            CustomerBlock.expires_at <= week_ahead,
        )
    )
    return int(made or 0), int(expiring or 0)


def blocked_customers(session: Session, customer_ids: list[int]) -> set[int]:
    """Return which of these customers are under an active block."""
    if not customer_ids:
        return set()
    return set(
        session.scalars(
            select(CustomerBlock.customer_id).where(
                CustomerBlock.customer_id.in_(customer_ids), CustomerBlock.status == BlockStatus.active
            )
        )
    )


def notice_preview(
    session: Session, customer: Customer, shop: Shop, reason_code: str | None, action: str
) -> Notice | None:
    """Return the notice a block would send this customer, in their language; None without a known reason.

    Nothing is stored or sent: the block dialog shows it before the block is made. The appeal link
    is the real one's form, with a placeholder where the block's own token will be.
    """
    reason = _reason_in_use(session, shop, reason_code)
    if reason is None:
        return None
    language = notice_language(customer.locale)
    return _notice(session, shop, reason, action, language, customer.first_name or customer.name)


# A name a customer might have in each language, for previews of a notice in settings.
SAMPLE_NAMES = {"en": "Alex", "nb": "Kari", "he": "נועה", "zh": "李华"}


def notice_previews(session: Session, shop: Shop, reason_code: str | None, action: str) -> list[Notice]:
    """Return the notice for one reason and action in every notice language, for a sample customer."""
    reason = _reason_in_use(session, shop, reason_code)
    if reason is None:
        return []
    return [_notice(session, shop, reason, action, lang, SAMPLE_NAMES[lang]) for lang in NOTICE_LANGUAGES]


def _reason_in_use(session: Session, shop: Shop, reason_code: str | None) -> ReasonCode | None:
    return next((r for r in list_reason_codes(session, shop.id) if r.active and r.code == reason_code), None)


def _notice(
    session: Session, shop: Shop, reason: ReasonCode, action: str, language: str, customer_name: str | None
) -> Notice:
    return render_notice(
        template=template_for(session, shop.id, NoticeKind.block_notice, language),
        language=language,
        shop_name=shop.name,
        customer_name=customer_name,
        reason=plain_words(reason, language),
        appeal_url=f"{get_settings().public_base_url.rstrip('/')}/appeal/…",
        action=action,
    )


def entry_page(
    session: Session,
    *,
    kind: str | None = None,
    type: str | None = None,
    action: str | None = None,
    reason_code: str | None = None,
    status: str | None = None,
    expiring_before: datetime | None = None,
    value: str | None = None,
    limit: int = 50,
    after: tuple[Any, Any] | None = None,
    before: tuple[Any, Any] | None = None,
) -> KeysetPage[ListEntry]:
    """Return entries, newest first, filtered; a page by key on (created_at, id), read from its
    index, so a million entries cost a page's worth of index, never a count or a sort of the table."""
    stmt = select(ListEntry)
    for column, wanted in (
        (ListEntry.kind, kind),
        (ListEntry.type, type),
        (ListEntry.action, action),
        (ListEntry.reason_code, reason_code),
        (ListEntry.status, status),
    ):
        if wanted:
            stmt = stmt.where(column == wanted)
    if value:
        stmt = stmt.where(ListEntry.value.like(f"%{value.strip().lower().replace('%', '')}%"))
    if expiring_before is not None:
        stmt = stmt.where(
            ListEntry.status == EntryStatus.active,
            ListEntry.expires_at.is_not(None),
            ListEntry.expires_at <= expiring_before,
        )
    keys = (ListEntry.created_at, ListEntry.id)
    return fetch_keyset(session, stmt, keys, limit=limit, after=after, before=before)
