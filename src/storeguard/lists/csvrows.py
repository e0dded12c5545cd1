"""Turning CSV rows into list-entry insert rows, without a database: runs in worker processes too.

A bulk import repeats everything but the identifier: a million rows may share one kind, action,
reason, scope and evidence. Those columns are checked once per distinct combination (a "template");
each row then costs one normalizer call and one hash. Rows travel as tuples of cells in ``COLUMNS``
order and come back as tuples in ``RECORD`` order, which pickle cheaply between processes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from storeguard.core.clock import ensure_utc
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
from storeguard.lists.enums import EntryAction, EntryKind, ListErrorCode, ScopeKind
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
    "confirm_broad",
)
CONFIRM_BROAD = COLUMNS.index("confirm_broad")
# Entry types whose value alone can make an entry match a large part of everyone (policy.broad_entry_reason).
BROAD_TYPES = frozenset({"cidr", "country", "email_domain"})
# What read_rows gives per row, in the order the insert takes them (after the per-import columns).
RECORD = (
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
    "expires_at",
    "dedupe_key",
)
EXPIRES_AT = RECORD.index("expires_at")
_TEMPLATE_COLUMNS = (0, 3, 4, 5, 6, 7, 8, 9, 10, 11)  # every column but type, value and confirm_broad
_MAX_TEMPLATES = 100_000  # a file with a different note on every row must not grow memory without end

Cells = tuple[str, ...]
RowError = tuple[int, str | None, str]
Record = tuple[Any, ...]


def _refused(number: int, error: DomainError) -> RowError:
    return (number, error.field, error.message)


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What checking a row needs to know about the shop and the importer (small, picklable)."""

    codes: frozenset[str]
    actor_role: Role
    min_role: Role
    note: str | None
    region: str | None
    sells_to: frozenset[str] = frozenset()  # the countries an entry needs confirming on


@dataclass(frozen=True, slots=True)
class _Template:
    kind_error: DomainError | None
    rest_error: DomainError | None
    kind: str
    tail: tuple[Any, ...]  # action .. expires_at, as in RECORD
    keyer: Callable[[str, str], str] | None


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def broad_error(context: ReadContext, target_type: str, value: str, cells: Cells) -> DomainError | None:
    """Return the refusal of a row whose entry would match a large part of everyone and is not confirmed."""
    if target_type not in BROAD_TYPES:
        return None
    why = policy.broad_entry_reason(target_type, value, sells_to=context.sells_to)
    if why is None:
        return None
    written = cells[CONFIRM_BROAD].strip().casefold()
    if written in ("true", "yes", "1"):
        return None
    if written not in ("", "false", "no", "0"):
        return Invalid(ListErrorCode.invalid_csv, f"{written!r} is not true or false", field="confirm_broad")
    code, message, field = policy.broad_entry_refusal(why)
    return Invalid(code, message, field=field)


def cells_of(row: dict[str, str | None]) -> Cells:
    """Return a dict row (csv.DictReader, an API upload) as cells in ``COLUMNS`` order."""
    return tuple(row.get(name) or "" for name in COLUMNS)


class RowReader:
    """Checks rows and normalizes values; the quick identifier types are handled without a session."""

    def __init__(self, context: ReadContext) -> None:
        self.context = context
        self.templates: dict[tuple[str, ...], _Template] = {}
        self.scopes: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = {}
        self.normalizers: dict[str, Callable[[str], str]] = {
            "email": normalize_email,
            "phone": partial(normalize_phone, default_region=context.region),
            "ip": normalize_ip,
            "cidr": normalize_cidr,
            "device_id": partial(normalize_token, field="device_id"),
            "payment_fingerprint": normalize_payment_fingerprint,
        }

    def read_rows(self, first: int, rows: Sequence[Cells]) -> tuple[list[Record | None], list[RowError]]:
        """Return one record per row and the refused rows as (row number, field, message).

        ``first`` is the file row number of ``rows[0]``. A refused row's record is None, and so is
        the record of a row whose type needs the database (a customer id): see ``needs_session``.
        """
        records: list[Record | None] = []
        errors: list[RowError] = []
        templates, normalizers = self.templates, self.normalizers
        for number, cells in enumerate(rows, start=first):
            template = templates.get(tuple(cells[i] for i in _TEMPLATE_COLUMNS)) or self.template_of(cells)
            if template.kind_error:
                errors.append(_refused(number, template.kind_error))
                records.append(None)
                continue
            target_type = cells[1].strip()
            normalize = normalizers.get(target_type)
            if normalize is None:  # country, customer, addresses: the session's side reads these
                records.append(None)
                continue
            written = cells[2].strip()
            try:
                value = normalize(written)
            except DomainError as exc:
                errors.append(_refused(number, exc))
                records.append(None)
                continue
            broad = broad_error(self.context, target_type, value, cells) if target_type == "cidr" else None
            if template.rest_error or broad:  # checked after the value, as a single entry is
                errors.append(_refused(number, template.rest_error or broad))  # type: ignore[arg-type]
                records.append(None)
                continue
            key = template.keyer(target_type, value)  # type: ignore[misc]
            records.append((template.kind, target_type, value, written[:600], None, *template.tail, key))
        return records, errors

    def needs_session(self, cells: Cells) -> bool:
        """Tell whether a row's identifier type is read with the database (not by ``read_rows``)."""
        return cells[1].strip() not in self.normalizers

    def template_of(self, cells: Cells) -> _Template:
        """Return the checked template of a row's non-identifier columns."""
        key = tuple(cells[i] for i in _TEMPLATE_COLUMNS)
        return self.templates.get(key) or self._template(key, cells)

    def _template(self, key: tuple[str, ...], cells: Cells) -> _Template:
        if len(self.templates) >= _MAX_TEMPLATES:
            self.templates.clear()
        kind = cells[0].strip() or "block"
        if kind not in (EntryKind.block, EntryKind.allow):
            error = Invalid(ListErrorCode.invalid_kind, f"{kind!r} is not block or allow", field="kind")
            template = _Template(error, None, kind, (), None)
        else:
            try:
                template = self._checked(kind, cells)
            except DomainError as exc:
                template = _Template(None, exc, kind, (), None)
        self.templates[key] = template
        return template

    def _checked(self, kind: str, cells: Cells) -> _Template:
        scope, scope_text = self._scope(cells)
        code = cells[4].strip()
        if code and code not in self.context.codes:
            raise Invalid(
                ListErrorCode.unknown_reason_code,
                f"{code!r} is not one of this shop's reason codes",
                field="reason_code",
            )
        order_ids = _split(cells[10])
        if not all(i.isdigit() for i in order_ids):
            wrong = next(i for i in order_ids if not i.isdigit())
            raise Invalid(
                ListErrorCode.evidence_order_not_found,
                f"{wrong!r} is not an order id (storeguard's order ids, separated by ;)",
                field="evidence_order_ids",
            )
        evidence = policy.clean_evidence(
            {
                "order_ids": [int(i) for i in order_ids],
                "notes": _split(cells[11]) or ([self.context.note] if self.context.note else []),
            }
        )
        row_note = cells[9].strip() or None
        action: str | None = None
        if kind == EntryKind.allow:
            if scope["kind"] != ScopeKind.everything:
                raise Invalid(
                    ListErrorCode.invalid_scope, "an allow entry applies to everything", field="scope_kind"
                )
        else:
            action = cells[3].strip() or "block"
            if action not in (EntryAction.block, EntryAction.verify, EntryAction.review):
                raise Invalid(
                    ListErrorCode.invalid_action, f"{action!r} is not block, verify or review", field="action"
                )
            refusal = policy.block_refusal(
                reason_code=code or None,
                evidence=evidence,
                actor_role=self.context.actor_role,
                justification=row_note,
                min_role=self.context.min_role,
            )
            if refusal:
                raise policy.block_refusal_error(refusal)
        evidence_text = json.dumps(evidence, ensure_ascii=False)
        tail = (action, code, scope_text, evidence_text, row_note, _expiry(cells[8]))
        return _Template(None, None, kind, tail, policy.dedupe_keyer(kind, action, scope_text))

    def _scope(self, cells: Cells) -> tuple[dict[str, Any], str]:
        key = (cells[5].strip(), cells[6], cells[7])
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


# --- worker processes --------------------------------------------------------------------------

_worker: RowReader | None = None


def start_worker(context: ReadContext) -> None:
    """Set up a worker process's reader (ProcessPoolExecutor initializer)."""
    global _worker
    _worker = RowReader(context)


def read_chunk(chunk: tuple[int, Sequence[Cells]]) -> tuple[list[Record | None], list[RowError]]:
    """Read one chunk (its first row number and its rows) in a worker process."""
    assert _worker is not None, "start_worker runs first"
    first, rows = chunk
    return _worker.read_rows(first, rows)
