"""Changing list entries: create (idempotent), update, lift, expire. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import column, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM, Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, Conflict, Invalid, NotFound
from storeguard.customers.enums import CustomerErrorCode, IdentifierType
from storeguard.customers.models import Customer
from storeguard.customers.normalize import normalize_cidr, normalize_country, normalize_identifier
from storeguard.lists import policy
from storeguard.lists.enums import EntryAction, EntryKind, EntryStatus, EntryTarget, ListErrorCode, ScopeKind
from storeguard.lists.models import ListEntry, ListVersion
from storeguard.lists.reasons import get_reason_code
from storeguard.lists.scope import validate_scope
from storeguard.lists.validation import parse_action
from storeguard.orders.models import Order
from storeguard.shops.models import Shop
from storeguard.shops.service import shop_or_only_shop


def normalize_target(session: Session, shop: Shop, type_: str, raw: Any) -> tuple[str, str, str]:
    """Return (type, normalized value, display) for an entry's target; 422 names the field and value."""
    try:
        target = EntryTarget(type_)
    except ValueError:
        raise Invalid(
            ListErrorCode.invalid_entry_type,
            f"{type_!r} is not an entry type ({', '.join(EntryTarget)})",
            field="type",
            value=str(type_),
        ) from None
    display = (
        str(raw).strip() if not isinstance(raw, Mapping) else ", ".join(str(v) for v in raw.values() if v)
    )
    if target == EntryTarget.country:
        return target.value, normalize_country(raw), display
    if target == EntryTarget.cidr:
        return target.value, normalize_cidr(raw), display
    if target == EntryTarget.customer:
        try:
            customer_id = int(str(raw).strip().lstrip("#"))
        except ValueError:
            raise Invalid(
                ListErrorCode.invalid_customer_id,
                f"{raw!r} is not a customer id",
                field="value",
                value=str(raw),
            ) from None
        customer = session.get(Customer, customer_id)
        if customer is None or customer.shop_id != shop.id:
            raise NotFound(
                CustomerErrorCode.customer_not_found, f"no customer {customer_id} in this shop", field="value"
            )
        return target.value, str(customer_id), customer.name or customer.email or f"#{customer_id}"
    value = normalize_identifier(IdentifierType(target.value), raw, default_region=shop.country)
    return target.value, value, display[:600]


def bump_version(session: Session, shop_id: int) -> None:
    """Tell every process that the shop's lists changed (their IP-range caches go stale)."""
    token = uuid.uuid4().hex
    changed = session.execute(
        update(ListVersion)
        .where(ListVersion.shop_id == shop_id)
        .values(version=ListVersion.version + 1, token=token, changed_at=now())
    ).rowcount
    if not changed:
        session.add(ListVersion(shop_id=shop_id, version=1, token=token, changed_at=now()))
    session.flush()


def check_evidence(session: Session, shop_id: int, evidence: Mapping[str, Any]) -> None:
    """Refuse evidence naming an order, a case or an incident the shop does not have (422 naming the kind)."""
    order_ids = evidence.get("order_ids") or []
    found: dict[str, set[int]] = {}
    if order_ids:
        found["order_ids"] = set(
            session.scalars(select(Order.id).where(Order.id.in_(order_ids), Order.shop_id == shop_id))
        )
    # Cases and incidents are named through their tables, not their package: cases blocks through lists.
    for kind, name in (("case_ids", "cases"), ("incident_ids", "conduct_incidents")):
        ids = evidence.get(kind) or []
        if ids:
            rows = table(name, column("id"), column("shop_id"))
            found[kind] = set(
                session.scalars(select(rows.c.id).where(rows.c.id.in_(ids), rows.c.shop_id == shop_id))
            )
    refusal = policy.missing_evidence(evidence, found)
    if refusal:
        raise Invalid(refusal[0], refusal[1], field=refusal[2])


RECENT_ORDERS = 10_000  # the orders that say where a shop sells: enough for a share, bounded in cost


def countries_shop_sells_to(session: Session, shop: Shop) -> frozenset[str]:
    """Return the shop's home country and the countries a share of its recent orders ship to."""
    addresses = session.scalars(
        select(Order.shipping_address)
        .where(Order.shop_id == shop.id)
        .order_by(Order.id.desc())
        .limit(RECENT_ORDERS)
    )
    countries = ((a or {}).get("country_code") or (a or {}).get("country") for a in addresses)
    return policy.countries_sold_to(shop.country, (str(c) for c in countries if c))


def broad_entry(session: Session, shop: Shop, type_: str, value: str, *, confirmed: bool) -> str | None:
    """Say why an entry would match nearly every order (None when it would not); refuse it unconfirmed."""
    sells_to = countries_shop_sells_to(session, shop) if type_ == EntryTarget.country else frozenset()
    why = policy.broad_entry_reason(type_, value, sells_to=sells_to)
    if why is not None and not confirmed:
        code, message, field = policy.broad_entry_refusal(why)
        raise Invalid(code, message, field=field, value=value)
    return why


def _expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= now():
        raise Invalid(
            ListErrorCode.invalid_expiry,
            "an expiry must be in the future",
            field="expires_at",
            value=expires_at.isoformat(),
        )
    return expires_at


def entry_snapshot(entry: ListEntry) -> dict[str, Any]:
    """Return an entry's fields for the audit log."""
    return {
        "kind": entry.kind,
        "type": entry.type,
        "value": entry.value,
        "action": entry.action,
        "scope": entry.scope,
        "reason_code": entry.reason_code,
        "evidence": entry.evidence,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        "status": entry.status,
        "customer_id": entry.customer_id,
        "block_id": entry.block_id,
        "note": entry.note,
    }


def create_entry(
    session: Session,
    *,
    shop_id: int | None,
    type: str,
    value: Any,
    actor: Actor,
    kind: str = EntryKind.block,
    action: str | None = EntryAction.block,
    reason_code: str | None = None,
    scope: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
    note: str | None = None,
    justification: str | None = None,
    expires_at: datetime | None = None,
    customer_id: int | None = None,
    block_id: int | None = None,
    confirm_broad: bool = False,
    display: str | None = None,
) -> tuple[ListEntry, bool]:
    """Put a block or allow entry on a target; an identical active entry comes back instead (created=False).

    An entry that would match nearly every order (``policy.broad_entry_reason``) needs ``confirm_broad``.
    ``display`` is how the customer wrote the identifier, when the caller knows (a block made from
    stored identifiers gives it; the value is then a normalized key nobody should have to read).
    """
    shop = shop_or_only_shop(session, shop_id)
    try:
        entry_kind = EntryKind(kind)
    except ValueError:
        raise Invalid(
            ListErrorCode.invalid_kind, f"{kind!r} is not block or allow", field="kind", value=str(kind)
        ) from None
    target_type, target_value, normalized_display = normalize_target(session, shop, type, value)
    display = (display or "").strip()[:600] or normalized_display
    broad = broad_entry(session, shop, target_type, target_value, confirmed=confirm_broad)
    clean_scope = validate_scope(scope)
    clean_evidence = policy.clean_evidence(evidence)
    if entry_kind == EntryKind.allow:
        if clean_scope["kind"] != ScopeKind.everything:
            raise Invalid(ListErrorCode.invalid_scope, "an allow entry applies to everything", field="scope")
        if not (note and note.strip()) and not reason_code:
            raise Invalid(
                CommonError.note_required,
                "an allow entry needs a note saying why the shop vouches for it",
                field="note",
            )
        entry_action = None
        code = get_reason_code(session, shop.id, reason_code).code if reason_code else ""
    else:
        entry_action = parse_action(action or EntryAction.block)
        refusal = policy.block_refusal(
            reason_code=reason_code,
            evidence=clean_evidence,
            actor_role=actor.role,
            justification=justification or note,
            min_role=Role(shop.settings.get("block_min_role", "agent")),
        )
        if refusal:
            raise policy.block_refusal_error(refusal)
        code = get_reason_code(session, shop.id, reason_code).code
    check_evidence(session, shop.id, clean_evidence)
    key = policy.dedupe_key(entry_kind, target_type, target_value, entry_action, clean_scope)
    existing = _active_by_key(session, shop.id, key)
    if existing is not None:
        return existing, False
    entry = ListEntry(
        shop_id=shop.id,
        kind=entry_kind,
        type=target_type,
        value=target_value,
        display=display,
        customer_id=customer_id if target_type != EntryTarget.customer else int(target_value),
        block_id=block_id,
        scope=clean_scope,
        action=entry_action,
        reason_code=code,
        evidence=clean_evidence,
        note=(note or justification or None),
        created_by=str(actor),
        created_at=now(),
        expires_at=_expiry(expires_at),
        status=EntryStatus.active,
        dedupe_key=key,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # another transaction made the same entry a moment ago
        existing = _active_by_key(session, shop.id, key)
        if existing is None:
            raise
        return existing, False
    bump_version(session, shop.id)
    record_event(
        session,
        actor=actor,
        action="list_entry.created",
        subject_type="list_entry",
        subject_id=entry.id,
        reason=code or note,
        after=entry_snapshot(entry),
        data={"confirmed_broad": broad} if broad else None,
    )
    return entry, True


def _active_by_key(session: Session, shop_id: int, key: str) -> ListEntry | None:
    entry = session.scalar(
        select(ListEntry).where(
            ListEntry.shop_id == shop_id, ListEntry.dedupe_key == key, ListEntry.status == EntryStatus.active
        )
    )
    if entry is not None and entry.expires_at is not None and entry.expires_at <= now():
        _mark_expired(session, entry)
        return None
    return entry


def _mark_expired(session: Session, entry: ListEntry) -> None:
    entry.status = EntryStatus.expired
    session.flush()
    record_event(
        session,
        actor=_system(),
        action="list_entry.expired",
        subject_type="list_entry",
        subject_id=entry.id,
        before={"status": "active"},
        after={"status": "expired"},
    )


def _system() -> Actor:

    return SYSTEM


def get_entry(session: Session, entry_id: int, *, for_update: bool = False) -> ListEntry:
    """Return an entry or 404."""
    stmt = select(ListEntry).where(ListEntry.id == entry_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True)
    entry = session.scalar(stmt)
    if entry is None:
        raise NotFound(ListErrorCode.entry_not_found, f"no list entry {entry_id}")
    return entry


def update_entry(
    session: Session,
    *,
    entry_id: int,
    actor: Actor,
    action: str | None = None,
    scope: Mapping[str, Any] | None = None,
    reason_code: str | None = None,
    add_evidence: Mapping[str, Any] | None = None,
    note: str | None = None,
    expires_at: datetime | None = None,
    clear_expiry: bool = False,
) -> ListEntry:
    """Change an active entry's action, scope, reason, expiry or note, or add evidence found later."""
    entry = get_entry(session, entry_id, for_update=True)
    if policy.effective_status(entry.status, entry.expires_at, now()) != EntryStatus.active:
        raise Conflict(ListErrorCode.entry_not_active, f"entry {entry_id} is {entry.status}; make a new one")
    before = entry_snapshot(entry)
    new_action = entry.action
    if action is not None:
        if entry.kind == EntryKind.allow:
            raise Invalid(ListErrorCode.invalid_action, "an allow entry has no action", field="action")
        new_action = parse_action(action)
    new_scope = validate_scope(scope) if scope is not None else entry.scope
    if entry.kind == EntryKind.allow and new_scope["kind"] != ScopeKind.everything:
        raise Invalid(ListErrorCode.invalid_scope, "an allow entry applies to everything", field="scope")
    new_code = get_reason_code(session, entry.shop_id, reason_code).code if reason_code else entry.reason_code
    evidence = policy.merge_evidence(entry.evidence, add_evidence) if add_evidence else entry.evidence
    if add_evidence:
        check_evidence(session, entry.shop_id, policy.clean_evidence(add_evidence))
    new_expiry = (
        None if clear_expiry else (_expiry(expires_at) if expires_at is not None else entry.expires_at)
    )
    key = policy.dedupe_key(entry.kind, entry.type, entry.value, new_action, new_scope)
    if key != entry.dedupe_key:
        clash = _active_by_key(session, entry.shop_id, key)
        if clash is not None and clash.id != entry.id:
            raise Conflict(
                ListErrorCode.entry_exists,
                f"entry {clash.id} already has that action and scope",
                entry_id=clash.id,
            )
    entry.action, entry.scope, entry.reason_code, entry.evidence = new_action, new_scope, new_code, evidence
    entry.expires_at, entry.dedupe_key, entry.updated_at = new_expiry, key, now()
    if note is not None:
        entry.note = note.strip() or None
    session.flush()
    bump_version(session, entry.shop_id)
    record_event(
        session,
        actor=actor,
        action="list_entry.updated",
        subject_type="list_entry",
        subject_id=entry.id,
        before=before,
        after=entry_snapshot(entry),
    )
    return entry


def lift_entry(session: Session, *, entry_id: int, actor: Actor, reason: str | None) -> ListEntry:
    """Lift an active entry; it stays in the record with who lifted it and why."""
    entry = get_entry(session, entry_id, for_update=True)
    if entry.status != EntryStatus.active:
        raise Conflict(ListErrorCode.entry_not_active, f"entry {entry_id} is already {entry.status}")
    if not reason or not reason.strip():
        raise Invalid(ListErrorCode.lift_reason_required, "say why the entry is lifted", field="reason")
    _lift(entry, actor, reason.strip())
    session.flush()
    bump_version(session, entry.shop_id)
    record_event(
        session,
        actor=actor,
        action="list_entry.lifted",
        subject_type="list_entry",
        subject_id=entry.id,
        reason=reason,
        before={"status": "active"},
        after={"status": "lifted"},
    )
    return entry


def _lift(entry: ListEntry, actor: Actor, reason: str) -> None:
    entry.status = EntryStatus.lifted
    entry.lifted_at = now()
    entry.lifted_by = str(actor)
    entry.lift_reason = reason


def expire_due_entries(session: Session, shop_id: int | None = None) -> int:
    """Mark active entries past their expiry as expired (matching already ignores them); return how many."""
    stmt = select(ListEntry).where(ListEntry.status == EntryStatus.active, ListEntry.expires_at <= now())
    if shop_id is not None:
        stmt = stmt.where(ListEntry.shop_id == shop_id)
    entries = session.scalars(stmt).all()
    for entry in entries:
        _mark_expired(session, entry)
    for shop in {e.shop_id for e in entries}:
        bump_version(session, shop)
    return len(entries)
