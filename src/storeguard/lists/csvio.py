"""Bulk import and export of list entries as CSV: streaming, batched, idempotent.

Import is all-or-nothing by default: every row is checked, and if any row is refused the caller
rolls back and gets the rows that were wrong. A row that repeats an active entry is skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import ensure_utc, now
from storeguard.core.db import is_postgres
from storeguard.core.enums import Role
from storeguard.core.errors import DomainError, Invalid
from storeguard.lists import policy
from storeguard.lists.actions import bump_version, expire_due_entries, get_shop, normalize_target
from storeguard.lists.enums import EntryAction, EntryKind, EntryStatus, ListErrorCode, ScopeKind
from storeguard.lists.models import ListEntry
from storeguard.lists.reasons import list_reason_codes
from storeguard.lists.scope import validate_scope

COLUMNS = (
    "kind",
    "type",
    "value",
    "action",
    "reason_code",
    "scope_kind",
    "scope_values",
    "scope_amount",
    "expires_at",
    "note",
    "evidence_order_ids",
    "evidence_notes",
)
EXPORT_COLUMNS = ("id", *COLUMNS, "status", "customer_id", "block_id", "created_by", "created_at")
BATCH = 5000
MAX_ERRORS = 50


@dataclass(slots=True)
class ImportResult:
    """What an import did; ``errors`` holds (row number, field, message) for refused rows."""

    rows: int = 0
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str | None, str]] = field(default_factory=list)


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def _scope(row: dict[str, str]) -> dict[str, Any]:
    kind = (row.get("scope_kind") or "").strip() or ScopeKind.everything
    raw: dict[str, Any] = {"kind": kind}
    if kind in (ScopeKind.categories, ScopeKind.tags):
        raw[kind] = _split(row.get("scope_values"))
    if kind == ScopeKind.order_above:
        amount = (row.get("scope_amount") or "").strip()
        raw["amount"] = int(amount) if amount.isdigit() else amount
    return validate_scope(raw)


def import_entries(
    session: Session,
    rows: Iterable[dict[str, str]],
    *,
    shop_id: int | None,
    actor: Actor,
    note: str | None = None,
    source: str = "csv",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Insert entries from CSV rows in batches; repeats of active entries are skipped, not doubled.

    ``note`` is written as evidence on rows that carry none (e.g. "imported from the old shop's
    blocklist"); a block row with neither is refused, as a block made by hand would be.
    """
    shop = get_shop(session, shop_id)
    expire_due_entries(session, shop.id)  # an expired entry must not swallow a fresh import
    codes = {r.code for r in list_reason_codes(session, shop.id) if r.active}
    min_role = Role(shop.settings.get("block_min_role", policy.DEFAULT_BLOCK_ROLE.value))
    before = (
        session.scalar(select(func.count()).select_from(ListEntry).where(ListEntry.shop_id == shop.id)) or 0
    )
    result = ImportResult()
    batch: list[dict[str, Any]] = []
    seen: set[str] = set()
    created_at, created_by = now(), str(actor)
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        result.rows += 1
        try:
            record = _entry_row(session, shop, row, codes, actor, min_role, note)
        except DomainError as exc:
            if len(result.errors) < MAX_ERRORS:
                result.errors.append((number, exc.field, exc.message))
            else:
                break
            continue
        if record["dedupe_key"] in seen:
            continue
        seen.add(record["dedupe_key"])
        record.update(
            shop_id=shop.id,
            created_at=created_at,
            updated_at=created_at,
            created_by=created_by,
            status=EntryStatus.active,
        )
        batch.append(record)
        if len(batch) >= BATCH:
            _flush(session, batch)
            if progress:
                progress(result.rows)
            batch = []
    if batch and not result.errors:
        _flush(session, batch)
    if progress:
        progress(result.rows)
    if result.errors:
        return result  # the caller rolls back: nothing changes when any row is refused
    after = (
        session.scalar(select(func.count()).select_from(ListEntry).where(ListEntry.shop_id == shop.id)) or 0
    )
    result.created = after - before
    result.duplicates = result.rows - result.created
    bump_version(session, shop.id)
    record_event(
        session,
        actor=actor,
        action="list_entries.imported",
        subject_type="shop",
        subject_id=shop.id,
        reason=note,
        data={
            "source": source,
            "rows": result.rows,
            "created": result.created,
            "duplicates": result.duplicates,
        },
    )
    return result


def _entry_row(
    session: Session,
    shop: Any,
    row: dict[str, str],
    codes: set[str],
    actor: Actor,
    min_role: Role,
    note: str | None,
) -> dict[str, Any]:
    kind_text = (row.get("kind") or "block").strip() or "block"
    try:
        kind = EntryKind(kind_text)
    except ValueError:
        raise Invalid("invalid_kind", f"{kind_text!r} is not block or allow", field="kind") from None
    target_type, value, display = normalize_target(
        session, shop, (row.get("type") or "").strip(), (row.get("value") or "").strip()
    )
    scope = _scope(row)
    code = (row.get("reason_code") or "").strip()
    if code and code not in codes:
        raise Invalid(
            ListErrorCode.unknown_reason_code,
            f"{code!r} is not one of this shop's reason codes",
            field="reason_code",
        )
    evidence = policy.clean_evidence(
        {
            "order_ids": [int(i) for i in _split(row.get("evidence_order_ids")) if i.isdigit()],
            "notes": _split(row.get("evidence_notes")) or ([note] if note else []),
        }
    )
    row_note = (row.get("note") or "").strip() or None
    if kind == EntryKind.allow:
        action = None
        if scope["kind"] != ScopeKind.everything:
            raise Invalid(
                ListErrorCode.invalid_scope, "an allow entry applies to everything", field="scope_kind"
            )
    else:
        action_text = (row.get("action") or "block").strip() or "block"
        try:
            action = EntryAction(action_text)
        except ValueError:
            raise Invalid(
                ListErrorCode.invalid_action,
                f"{action_text!r} is not block, verify or review",
                field="action",
            ) from None
        refusal = policy.block_refusal(
            reason_code=code or None,
            evidence=evidence,
            actor_role=actor.role,
            justification=row_note,
            min_role=min_role,
        )
        if refusal:
            raise Invalid(refusal[0], refusal[1], field=refusal[2])
    expires_text = (row.get("expires_at") or "").strip()
    expires_at = None
    if expires_text:
        try:
            expires_at = ensure_utc(datetime.fromisoformat(expires_text))
        except ValueError:
            raise Invalid(
                ListErrorCode.invalid_expiry, f"{expires_text!r} is not an ISO 8601 time", field="expires_at"
            ) from None
    return {
        "kind": kind,
        "type": target_type,
        "value": value,
        "display": display,
        "action": action,
        "reason_code": code,
        "scope": scope,
        "evidence": evidence,
        "note": row_note,
        "expires_at": expires_at,
        "customer_id": int(value) if target_type == "customer" else None,
        "dedupe_key": policy.dedupe_key(kind, target_type, value, action, scope),
    }


def _flush(session: Session, batch: list[dict[str, Any]]) -> None:
    where = text("status = 'active'")
    maker = pg_insert if is_postgres(session) else sqlite_insert
    stmt = maker(ListEntry).on_conflict_do_nothing(
        index_elements=["shop_id", "dedupe_key"], index_where=where
    )
    session.execute(stmt, batch)


def read_csv(stream: IO[str]) -> Iterator[dict[str, str]]:
    """Yield CSV rows as dicts, refusing a header without ``type`` and ``value``."""
    reader = csv.DictReader(stream)
    header = set(reader.fieldnames or [])
    if not {"type", "value"} <= header:
        raise Invalid(
            ListErrorCode.invalid_csv,
            f"the CSV header needs at least type and value; it has {sorted(header)}",
            field="file",
        )
    yield from reader


def export_entries(session: Session, out: IO[str], *, shop_id: int | None, status: str | None = None) -> int:
    """Write the shop's entries as CSV (same columns as import, plus ids and state); return the count."""
    shop = get_shop(session, shop_id)
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    stmt = select(ListEntry).where(ListEntry.shop_id == shop.id).order_by(ListEntry.id)
    if status:
        stmt = stmt.where(ListEntry.status == status)
    count = 0
    for entry in session.scalars(stmt.execution_options(yield_per=5000)):
        scope = entry.scope or {}
        values = scope.get("categories") or scope.get("tags") or []
        writer.writerow(
            [
                entry.id,
                entry.kind,
                entry.type,
                entry.value,
                entry.action or "",
                entry.reason_code,
                scope.get("kind", "everything"),
                ";".join(values),
                scope.get("amount", ""),
                entry.expires_at.isoformat() if entry.expires_at else "",
                entry.note or "",
                ";".join(str(i) for i in (entry.evidence or {}).get("order_ids", [])),
                ";".join((entry.evidence or {}).get("notes", [])),
                entry.status,
                entry.customer_id or "",
                entry.block_id or "",
                entry.created_by,
                entry.created_at.isoformat(),
            ]
        )
        count += 1
    return count
