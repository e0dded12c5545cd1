"""Blocking a customer and lifting the block: documented, reversible, with a notice. Never commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.core.events import publish
from storeguard.customers.actions import lock_customer
from storeguard.customers.enums import PERSONAL_TYPES, AccountState, CustomerErrorCode, IdentifierType
from storeguard.customers.models import Customer, Identifier
from storeguard.lists import policy
from storeguard.lists.actions import _lift, broad_entry, bump_version, check_evidence, create_entry
from storeguard.lists.appeal_links import sign_appeal_token
from storeguard.lists.enums import BlockStatus, EntryAction, EntryStatus, ListErrorCode
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.lists.notices import notice_language
from storeguard.lists.reasons import get_reason_code, plain_words
from storeguard.lists.scope import validate_scope
from storeguard.lists.validation import parse_action
from storeguard.notifications.actions import send_notice
from storeguard.notifications.enums import NoticeKind
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop


def active_block(session: Session, customer_id: int) -> CustomerBlock | None:
    """Return the customer's active block, if any."""
    return session.scalar(
        select(CustomerBlock).where(
            CustomerBlock.customer_id == customer_id, CustomerBlock.status == BlockStatus.active
        )
    )


def _identifier_types(raw: Iterable[str] | None) -> list[str]:
    if raw is None:
        return [t.value for t in PERSONAL_TYPES]
    try:
        return [IdentifierType(t).value for t in dict.fromkeys(raw)]
    except ValueError as exc:
        raise Invalid(
            CustomerErrorCode.invalid_identifier_type,
            f"{exc.args[0]}; types are {', '.join(IdentifierType)}",
            field="identifier_types",
        ) from None


def block_customer(
    session: Session,
    *,
    customer_id: int,
    actor: Actor,
    reason_code: str | None,
    evidence: Mapping[str, Any] | None = None,
    justification: str | None = None,
    action: str = EntryAction.block,
    scope: Mapping[str, Any] | None = None,
    block_identifiers: bool = True,
    identifier_types: Iterable[str] | None = None,
    disable_account: bool = False,
    notify: bool = True,
    expires_at: datetime | None = None,
    confirm_broad: bool = False,
) -> CustomerBlock:
    """Block a customer and, by default, every personal identifier they have used.

    Refused without a reason code and evidence, unless an owner writes why there is none. The
    notice (reason in plain words, how to appeal) goes to the outbox in the same transaction.
    An identifier that would match nearly every order (their gmail.com as an email domain) needs
    ``confirm_broad``.
    """
    customer = lock_customer(session, customer_id)
    shop = get_shop(session, customer.shop_id)
    existing = active_block(session, customer.id)
    if existing is not None:
        raise Conflict(
            ListErrorCode.customer_already_blocked,
            f"customer {customer.id} is already blocked (block {existing.id}); lift it first to change it",
            block_id=existing.id,
        )
    clean_evidence = policy.clean_evidence(evidence)
    refusal = policy.block_refusal(
        reason_code=reason_code,
        evidence=clean_evidence,
        actor_role=actor.role,
        justification=justification,
        min_role=Role(shop.settings.get("block_min_role", policy.DEFAULT_BLOCK_ROLE.value)),
    )
    if refusal:
        raise policy.block_refusal_error(refusal)
    reason = get_reason_code(session, shop.id, reason_code)
    entry_action = parse_action(action)
    clean_scope = validate_scope(scope)
    types = _identifier_types(identifier_types) if block_identifiers else []
    check_evidence(session, shop.id, clean_evidence)
    if expires_at is not None and expires_at <= now():
        raise Invalid(ListErrorCode.invalid_expiry, "an expiry must be in the future", field="expires_at")
    identifiers = (
        session.execute(
            select(Identifier.type, Identifier.value, Identifier.display)
            .where(Identifier.customer_id == customer.id, Identifier.type.in_(types))
            .order_by(Identifier.id)
        ).all()
        if types
        else []
    )
    for kind, value, _ in identifiers:  # refused before anything changes
        broad_entry(session, shop, kind, value, confirmed=confirm_broad)

    block = CustomerBlock(
        shop_id=shop.id,
        customer_id=customer.id,
        status=BlockStatus.active,
        action=entry_action,
        scope=clean_scope,
        reason_code=reason.code,
        evidence=clean_evidence,
        justification=(justification or "").strip() or None,
        identifier_types=types,
        appeal_token=secrets.token_urlsafe(24),
        expires_at=expires_at,
        created_by=str(actor),
        created_at=now(),
    )
    session.add(block)
    session.flush()
    common = dict(
        actor=actor,
        action=entry_action,
        reason_code=reason.code,
        scope=clean_scope,
        evidence=clean_evidence,
        justification=justification,
        expires_at=expires_at,
        customer_id=customer.id,
        block_id=block.id,
        confirm_broad=confirm_broad,
    )
    entries = [create_entry(session, shop_id=shop.id, type="customer", value=customer.id, **common)]
    for kind, value, display in identifiers:
        entries.append(
            create_entry(session, shop_id=shop.id, type=kind, value=value, display=display, **common)
        )
    if disable_account and customer.state == AccountState.enabled:
        customer.state = AccountState.disabled
        block.account_disabled = True
    if notify and customer.email:
        message = _enqueue_notice(
            session, shop, customer, block, plain_words(reason, notice_language(customer.locale))
        )
        block.notice_language, block.notice_message_id = message.payload["language"], message.id
    session.flush()
    record_event(
        session,
        actor=actor,
        action="customer.blocked",
        subject_type="customer",
        subject_id=customer.id,
        reason=reason.code,
        after={
            "block_id": block.id,
            "action": entry_action,
            "scope": clean_scope,
            "identifier_types": types,
            "account_disabled": block.account_disabled,
        },
        data={
            "evidence": clean_evidence,
            "justification": block.justification,
            "entry_ids": [e.id for e, _ in entries],
            "new_entry_ids": [e.id for e, made in entries if made],
        },
    )
    if block.account_disabled:
        # The storefront's own account is closed too, where the platform can be told (a subscriber).
        publish(
            session,
            "customer.disabled",
            shop_id=shop.id,
            subject_type="customer",
            subject_id=customer.id,
            data={"block_id": block.id},
            key=block.id,
        )
    return block


def appeal_url(block: CustomerBlock) -> str:
    """Return the public page where the customer can appeal a block (a signed link that expires)."""
    token = sign_appeal_token(block.appeal_token, block.created_at)
    return f"{get_settings().public_base_url.rstrip('/')}/appeal/{token}"


def _enqueue_notice(
    session: Session, shop: Shop, customer: Customer, block: CustomerBlock, reason: str
) -> Any:
    return send_notice(
        session,
        kind=NoticeKind.block_notice,
        customer=customer,
        shop=shop,
        context={"reason": reason, "action": str(block.action), "appeal_url": appeal_url(block)},
        dedupe_key=f"block-notice:{block.id}",
        links={"block_id": block.id},
    )


def lift_block(
    session: Session, *, customer_id: int, actor: Actor, reason: str | None, enable_account: bool = True
) -> CustomerBlock:
    """Lift a customer's active block and the entries it made; the block and entries stay on record."""
    customer = lock_customer(session, customer_id)
    block = active_block(session, customer.id)
    if block is None:
        raise Conflict(ListErrorCode.customer_not_blocked, f"customer {customer.id} is not blocked")
    if not reason or not reason.strip():
        raise Invalid(ListErrorCode.lift_reason_required, "say why the block is lifted", field="reason")
    entries = session.scalars(
        select(ListEntry).where(ListEntry.block_id == block.id, ListEntry.status == EntryStatus.active)
    ).all()
    handed_over: dict[int, int] = {}
    for entry in entries:
        keeper = _other_block_holding(session, block, entry)
        if keeper is not None:  # a shared phone stays blocked while its other blocked owner is
            entry.block_id, entry.customer_id = keeper.id, keeper.customer_id
            handed_over[entry.id] = keeper.id
        else:
            _lift(entry, actor, reason.strip())
    entries = [e for e in entries if e.id not in handed_over]
    re_enabled = bool(enable_account and block.account_disabled and customer.state == AccountState.disabled)
    if re_enabled:
        customer.state = AccountState.enabled
    block.status = BlockStatus.lifted
    block.lifted_at, block.lifted_by, block.lift_reason = now(), str(actor), reason.strip()
    session.flush()
    bump_version(session, block.shop_id)
    record_event(
        session,
        actor=actor,
        action="customer.block_lifted",
        subject_type="customer",
        subject_id=customer.id,
        reason=reason.strip(),
        before={"block_id": block.id, "status": "active"},
        after={"block_id": block.id, "status": "lifted", "account_re_enabled": re_enabled},
        data={"lifted_entry_ids": [e.id for e in entries], "handed_over": handed_over},
    )
    if re_enabled:
        publish(
            session,
            "customer.enabled",
            shop_id=block.shop_id,
            subject_type="customer",
            subject_id=customer.id,
            data={"block_id": block.id},
            key=block.id,
        )
    return block


def _other_block_holding(session: Session, block: CustomerBlock, entry: ListEntry) -> CustomerBlock | None:
    if entry.type == "customer":
        return None
    candidates = session.scalars(
        select(CustomerBlock)
        .join(Identifier, Identifier.customer_id == CustomerBlock.customer_id)
        .where(
            CustomerBlock.shop_id == block.shop_id,
            CustomerBlock.status == BlockStatus.active,
            CustomerBlock.id != block.id,
            Identifier.type == entry.type,
            Identifier.value == entry.value,
        )
        .order_by(CustomerBlock.id)
    ).all()
    return next((c for c in candidates if entry.type in (c.identifier_types or [])), None)


def add_block_evidence(
    session: Session, *, block_id: int, actor: Actor, evidence: Mapping[str, Any]
) -> CustomerBlock:
    """Attach evidence found later (a case, an incident, another order) to a block and its entries."""
    block = session.get(CustomerBlock, block_id)
    if block is None:
        raise NotFound(ListErrorCode.block_not_found, f"no block {block_id}")
    more = policy.clean_evidence(evidence)
    if not policy.has_evidence(more):
        raise Invalid(
            ListErrorCode.evidence_required, "give at least one piece of evidence", field="evidence"
        )
    check_evidence(session, block.shop_id, more)
    block.evidence = policy.merge_evidence(block.evidence, more)
    for entry in session.scalars(select(ListEntry).where(ListEntry.block_id == block.id)):
        entry.evidence = policy.merge_evidence(entry.evidence, more)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="customer_block.evidence_added",
        subject_type="customer",
        subject_id=block.customer_id,
        data={"block_id": block.id, "evidence": more},
    )
    return block
