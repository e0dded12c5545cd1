"""Bulk import and export of list entries as CSV: streaming, batched, idempotent.

Import is all-or-nothing by default: every row is checked, and if any row is refused the caller
rolls back and gets the rows that were wrong. A row that repeats an active entry is skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import String, bindparam, cast, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import ensure_utc, now
from storeguard.core.db import is_postgres
from storeguard.core.enums import Role
from storeguard.core.errors import DomainError, Invalid
from storeguard.customers.normalize import (
    normalize_cidr,
    normalize_email,
    normalize_ip,
    normalize_payment_fingerprint,
    normalize_phone,
    normalize_token,
)
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
    count = select(func.count()).select_from(ListEntry).where(ListEntry.shop_id == shop.id)
    before = session.scalar(count) or 0
    result = ImportResult()
    reader = _RowReader(session, shop, codes, actor, min_role, note)
    write = _batch_writer(session)
    at = now()
    common = {
        "shop_id": shop.id,
        "created_at": at,
        "updated_at": at,
        "created_by": str(actor),
        "status": EntryStatus.active.value,
    }
    batch: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        result.rows += 1
        try:
            record = reader.read(row)
        except DomainError as exc:
            if len(result.errors) >= MAX_ERRORS:
                break
            result.errors.append((number, exc.field, exc.message))
            continue
        record.update(common)
        batch.append(record)
        if len(batch) >= BATCH:
            if not result.errors:  # once a row is refused nothing is kept: only look for more bad rows
                write(batch)
            if progress:
                progress(result.rows)
            batch = []
    if batch and not result.errors:
        write(batch)
    if progress:
        progress(result.rows)
    if result.errors:
        return result  # the caller rolls back: nothing changes when any row is refused
    result.created = (session.scalar(count) or 0) - before
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


class _RowReader:
    """Turns CSV rows into insert parameters; scopes and evidence repeat, so each is worked out once."""

    def __init__(
        self, session: Session, shop: Any, codes: set[str], actor: Actor, min_role: Role, note: str | None
    ) -> None:
        self.session, self.shop, self.codes = session, shop, codes
        self.actor, self.min_role, self.note = actor, min_role, note
        self.scopes: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = {}
        self.evidence: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self.refusals: dict[tuple[str, bool, str | None], tuple[str, str, str | None] | None] = {}
        region = shop.country
        self.normalizers: dict[str, Callable[[str], str]] = {
            "email": normalize_email,
            "phone": lambda v: normalize_phone(v, default_region=region),
            "ip": normalize_ip,
            "cidr": normalize_cidr,
            "device_id": lambda v: normalize_token(v, field="device_id"),
            "payment_fingerprint": normalize_payment_fingerprint,
        }

    def scope(self, row: dict[str, str]) -> tuple[dict[str, Any], str]:
        key = (
            (row.get("scope_kind") or "").strip(),
            row.get("scope_values") or "",
            row.get("scope_amount") or "",
        )
        cached = self.scopes.get(key)
        if cached is None:
            kind = key[0] or ScopeKind.everything
            raw: dict[str, Any] = {"kind": kind}
            if kind in (ScopeKind.categories, ScopeKind.tags):
                raw[kind] = _split(key[1])
            if kind == ScopeKind.order_above:
                amount = key[2].strip()
                raw["amount"] = int(amount) if amount.isdigit() else amount
            scope = validate_scope(raw)
            cached = self.scopes[key] = (scope, policy.scope_json(scope))
        return cached

    def evidence_of(self, row: dict[str, str]) -> tuple[dict[str, Any], str]:
        key = (row.get("evidence_order_ids") or "", row.get("evidence_notes") or "")
        cached = self.evidence.get(key)
        if cached is None:
            evidence = policy.clean_evidence(
                {
                    "order_ids": [int(i) for i in _split(key[0]) if i.isdigit()],
                    "notes": _split(key[1]) or ([self.note] if self.note else []),
                }
            )
            cached = self.evidence[key] = (evidence, json.dumps(evidence, ensure_ascii=False))
        return cached

    def refusal(
        self, code: str, evidence: dict[str, Any], note: str | None
    ) -> tuple[str, str, str | None] | None:
        key = (code, policy.has_evidence(evidence), note)
        if key not in self.refusals:
            self.refusals[key] = policy.block_refusal(
                reason_code=code or None,
                evidence=evidence,
                actor_role=self.actor.role,
                justification=note,
                min_role=self.min_role,
            )
        return self.refusals[key]

    def read(self, row: dict[str, str]) -> dict[str, Any]:
        kind = (row.get("kind") or "block").strip() or "block"
        if kind not in (EntryKind.block, EntryKind.allow):
            raise Invalid("invalid_kind", f"{kind!r} is not block or allow", field="kind")
        target_type = (row.get("type") or "").strip()
        written = (row.get("value") or "").strip()
        quick = self.normalizers.get(target_type)
        if quick is not None:  # the common types, without the general dispatch
            value, display = quick(written), written[:600]
        else:
            target_type, value, display = normalize_target(self.session, self.shop, target_type, written)
        scope, scope_text = self.scope(row)
        code = (row.get("reason_code") or "").strip()
        if code and code not in self.codes:
            raise Invalid(
                ListErrorCode.unknown_reason_code,
                f"{code!r} is not one of this shop's reason codes",
                field="reason_code",
            )
        evidence, evidence_text = self.evidence_of(row)
        row_note = (row.get("note") or "").strip() or None
        action: str | None = None
        if kind == EntryKind.allow:
            if scope["kind"] != ScopeKind.everything:
                raise Invalid(
                    ListErrorCode.invalid_scope, "an allow entry applies to everything", field="scope_kind"
                )
        else:
            action = (row.get("action") or "block").strip() or "block"
            if action not in (EntryAction.block, EntryAction.verify, EntryAction.review):
                raise Invalid(
                    ListErrorCode.invalid_action, f"{action!r} is not block, verify or review", field="action"
                )
            refusal = self.refusal(code, evidence, row_note)
            if refusal:
                raise Invalid(refusal[0], refusal[1], field=refusal[2])
        return {
            "kind": kind,
            "type": target_type,
            "value": value,
            "display": display,
            "action": action,
            "reason_code": code,
            "scope_json": scope_text,
            "evidence_json": evidence_text,
            "note": row_note,
            "expires_at": _expiry(row.get("expires_at")),
            "customer_id": int(value) if target_type == "customer" else None,
            "dedupe_key": policy.dedupe_key(kind, target_type, value, action, scope_text),
        }


def _expiry(cell: str | None) -> datetime | None:
    written = (cell or "").strip()
    if not written:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(written))
    except ValueError:
        raise Invalid(
            ListErrorCode.invalid_expiry, f"{written!r} is not an ISO 8601 time", field="expires_at"
        ) from None


def _insert_statement(session: Session) -> Any:
    """Build the batched insert; JSON columns arrive as JSON text made once per distinct scope or evidence."""
    if is_postgres(session):
        maker: Any = pg_insert
        scope = cast(bindparam("scope_json", type_=String()), JSONB)
        evidence = cast(bindparam("evidence_json", type_=String()), JSONB)
    else:
        maker = sqlite_insert
        scope, evidence = bindparam("scope_json", type_=String()), bindparam("evidence_json", type_=String())
    stmt = maker(ListEntry.__table__).values(scope=scope, evidence=evidence)
    return stmt.on_conflict_do_nothing(
        index_elements=["shop_id", "dedupe_key"], index_where=text("status = 'active'")
    )


_PARAMS = (
    "shop_id",
    "kind",
    "type",
    "value",
    "display",
    "customer_id",
    "action",
    "reason_code",
    "scope_json",
    "evidence_json",
    "note",
    "created_by",
    "created_at",
    "updated_at",
    "expires_at",
    "status",
    "dedupe_key",
)


def _batch_writer(session: Session) -> Callable[[list[dict[str, Any]]], None]:
    """Return a function that inserts one batch of rows.

    On SQLite the compiled statement goes straight to the driver's executemany: per-row parameter
    processing in SQLAlchemy costs more than the insert itself at a million rows. Times are
    converted with the column type's own processor, so they are stored exactly as the ORM would.
    """
    statement = _insert_statement(session)
    if is_postgres(session):
        return lambda batch: session.execute(statement, batch)  # psycopg pipelines executemany itself
    connection = session.connection()
    dialect = connection.dialect
    compiled = statement.compile(
        dialect=dialect, column_keys=[k for k in _PARAMS if k not in ("scope_json", "evidence_json")]
    )
    order = [compiled.binds[name].key for name in compiled.positiontup]  # type: ignore[union-attr]
    table = ListEntry.__table__
    processors = {
        name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in ("created_at", "updated_at", "expires_at")
    }
    sql = str(compiled)
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA cache_size = -262144")  # 256 MB: the dedupe index takes random inserts

    def write(batch: list[dict[str, Any]]) -> None:
        fixed = {
            name: proc(batch[0][name]) for name, proc in processors.items() if proc and name != "expires_at"
        }
        expiry = processors["expires_at"]
        rows = []
        for record in batch:
            record.update(fixed)
            if record["expires_at"] is not None and expiry:
                record["expires_at"] = expiry(record["expires_at"])
            rows.append(tuple(record[name] for name in order))
        raw.executemany(sql, rows)

    return write


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
