"""Bulk import and export of list entries as CSV: streaming, batched, idempotent.

Import is all-or-nothing by default: every row is checked, and if any row is refused the caller
rolls back and gets the rows that were wrong. A row that repeats an active entry is skipped.
Rows are checked and normalized by ``csvrows`` (in worker processes for big files); this module
reads the file, writes batches through the driver, and keeps the import's bookkeeping.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.batches import worked_in_children
from storeguard.core.bulk_insert import insert_new_tuples, storage_value
from storeguard.core.clock import now
from storeguard.core.db import is_postgres
from storeguard.core.enums import Role
from storeguard.core.errors import DomainError, Invalid
from storeguard.core.schemas import DB_INT_MAX
from storeguard.lists import policy
from storeguard.lists.actions import (
    bump_version,
    countries_shop_sells_to,
    expire_due_entries,
    normalize_target,
)
from storeguard.lists.csvrows import (
    COLUMNS,
    RECORD,
    Cells,
    ReadContext,
    Record,
    RowError,
    RowReader,
    broad_error,
    cells_of,
    read_chunk,
    start_worker,
)
from storeguard.lists.enums import EntryStatus, ListErrorCode
from storeguard.lists.models import ListEntry
from storeguard.lists.reasons import list_reason_codes
from storeguard.orders.models import Order
from storeguard.shops.service import shop_or_only_shop

EXPORT_COLUMNS = ("id", *COLUMNS, "status", "customer_id", "block_id", "created_by", "created_at")
BATCH = 5000
MAX_ERRORS = 50
PARALLEL_FROM = 2 * BATCH  # smaller files are read in this process: starting workers costs ~1 s
EVIDENCE = RECORD.index("evidence_json")


@dataclass(slots=True)
class ImportResult:
    """What an import did; ``errors`` holds (row number, field, message) for refused rows."""

    rows: int = 0
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str | None, str]] = field(default_factory=list)


class CsvRows:
    """The rows of a list CSV: iterate for dicts, or take ``cells()`` for tuples in ``COLUMNS`` order."""

    def __init__(self, reader: Iterator[list[str]], header: list[str]) -> None:
        self.header, self._reader = header, reader

    def __iter__(self) -> Iterator[dict[str, str]]:
        for row in self._reader:
            if row:  # csv.DictReader skips blank lines too
                yield dict(zip(self.header, row + [""] * (len(self.header) - len(row)), strict=False))

    def cells(self) -> Iterator[Cells]:
        """Yield each row's cells in ``COLUMNS`` order; absent columns and short rows give ""."""
        width = len(self.header)
        missing = width  # index of the "" appended to every row
        pick = itemgetter(*(self.header.index(c) if c in self.header else missing for c in COLUMNS))
        for row in self._reader:
            if not row:
                continue
            if len(row) != width:
                row = row[:width] + [""] * (width - len(row))
            row.append("")
            yield pick(row)


def import_entries(
    session: Session,
    rows: Iterable[dict[str, str]],
    *,
    shop_id: int | None,
    actor: Actor,
    note: str | None = None,
    source: str = "csv",
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> ImportResult:
    """Insert entries from CSV rows in batches; repeats of active entries are skipped, not doubled.

    ``note`` is written as evidence on rows that carry none (e.g. "imported from the old shop's
    blocklist"); a block row with neither is refused, as a block made by hand would be. With
    ``workers`` > 1, files of more than ``PARALLEL_FROM`` rows are normalized in that many processes.
    """
    shop = shop_or_only_shop(session, shop_id)
    expire_due_entries(session, shop.id)  # an expired entry must not swallow a fresh import
    codes = frozenset(r.code for r in list_reason_codes(session, shop.id) if r.active)
    min_role = Role(shop.settings.get("block_min_role", policy.DEFAULT_BLOCK_ROLE.value))
    count = select(func.count()).select_from(ListEntry).where(ListEntry.shop_id == shop.id)
    before = session.scalar(count) or 0
    context = ReadContext(
        codes, actor.role, min_role, note, shop.country, countries_shop_sells_to(session, shop)
    )
    reader = RowReader(context)
    writer = _BatchWriter(session, shop.id, str(actor))
    cells = rows.cells() if isinstance(rows, CsvRows) else (cells_of(row) for row in rows)
    with writer:
        result = _read_and_write(session, shop, reader, context, cells, writer, workers, progress)
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


def _read_and_write(
    session: Session,
    shop: Any,
    reader: RowReader,
    context: ReadContext,
    cells: Iterator[Cells],
    writer: _BatchWriter,
    workers: int,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    """Read every batch and hand the good ones to the writer; stop looking past ``MAX_ERRORS`` bad rows."""
    result = ImportResult()
    evidence = _EvidenceCheck(session, shop.id, writer)
    for first, chunk, (records, errors) in _read_chunks(cells, reader, context, workers):
        if None in records:
            writer.drain()  # the session is about to be used in this thread
            errors = _read_with_session(session, shop, reader, first, chunk, records, errors)
        errors = evidence.check(first, records, errors)
        result.rows += len(chunk)
        if errors:
            result.errors.extend(errors)
            if len(result.errors) > MAX_ERRORS:  # stop at the first bad row past the limit
                result.rows = result.errors[MAX_ERRORS][0] - 1
                del result.errors[MAX_ERRORS:]
                break
        elif not result.errors:  # once a row is refused nothing is kept: only look for more bad rows
            writer.write(records)
        if progress:
            progress(result.rows)
    return result


_Read = tuple[list[Record | None], list[RowError]]


def _read_chunks(
    cells: Iterator[Cells], reader: RowReader, context: ReadContext, workers: int
) -> Iterator[tuple[int, list[Cells], _Read]]:
    """Yield (first row number, rows, their records and errors) per batch, in file order.

    With workers the main process only reads the file and writes to the database, while up to
    two batches per worker are being normalized (``core.batches``, as every bulk import does); a
    batch travels as plain tuples of strings.
    """
    chunks = _chunks(cells)
    ahead: list[tuple[int, list[Cells]]] = []
    while workers > 1 and sum(len(c) for _, c in ahead) < PARALLEL_FROM:
        item = next(chunks, None)
        if item is None:
            break
        ahead.append(item)
    batches = chain(ahead, chunks)
    if workers < 2 or sum(len(c) for _, c in ahead) < PARALLEL_FROM:
        for first, chunk in batches:
            yield first, chunk, reader.read_rows(first, chunk)
        return
    worked = worked_in_children(
        batches, read_chunk, workers=workers, initializer=start_worker, initargs=(context,)
    )
    for (first, chunk), read in worked:
        yield first, chunk, read


def _chunks(cells: Iterator[Cells]) -> Iterator[tuple[int, list[Cells]]]:
    first = 2  # row 1 is the header
    while chunk := list(islice(cells, BATCH)):
        yield first, chunk
        first += len(chunk)


def _read_with_session(
    session: Session,
    shop: Any,
    reader: RowReader,
    first: int,
    chunk: list[Cells],
    records: list[Record | None],
    errors: list[RowError],
) -> list[RowError]:
    """Fill in the records of rows whose type needs the database (customers) or the general dispatch."""
    refused = {number for number, _, _ in errors}
    more: list[RowError] = []
    for index, record in enumerate(records):
        number = first + index
        if record is not None or number in refused or not reader.needs_session(chunk[index]):
            continue
        cells = chunk[index]
        template = reader.template_of(cells)
        try:
            if template.kind_error:
                raise template.kind_error
            target_type, value, display = normalize_target(session, shop, cells[1].strip(), cells[2].strip())
            broad = broad_error(reader.context, target_type, value, cells)
            if template.rest_error or broad:
                raise template.rest_error or broad  # type: ignore[misc]
        except DomainError as exc:
            more.append((number, exc.field, exc.message))
            continue
        customer_id = int(value) if target_type == "customer" else None
        key = template.keyer(target_type, value)  # type: ignore[misc]
        records[index] = (template.kind, target_type, value, display, customer_id, *template.tail, key)
    return sorted(errors + more) if more else errors


class _EvidenceCheck:
    """Refuses rows whose evidence names orders the shop does not have; each distinct evidence once."""

    def __init__(self, session: Session, shop_id: int, writer: _BatchWriter) -> None:
        self.session, self.shop_id, self.writer = session, shop_id, writer
        self.verdicts: dict[str, str | None] = {}  # evidence JSON -> why it is refused, or None

    def check(self, first: int, records: list[Record | None], errors: list[RowError]) -> list[RowError]:
        """Return ``errors`` with the rows whose evidence is refused added (their records become None)."""
        texts = {r[EVIDENCE] for r in records if r is not None} - self.verdicts.keys()
        if texts:
            self._judge(texts)
        more: list[RowError] = []
        for index, record in enumerate(records):
            why = self.verdicts.get(record[EVIDENCE]) if record is not None else None
            if why is not None:
                more.append((first + index, "evidence_order_ids", why))
                records[index] = None
        return sorted(errors + more) if more else errors

    def _judge(self, texts: set[str]) -> None:
        if len(self.verdicts) >= 100_000:  # a file with different evidence on every row
            self.verdicts.clear()
        named = {text: json.loads(text) for text in texts}
        wanted = sorted({i for e in named.values() for i in e.get("order_ids", []) if i <= DB_INT_MAX})
        found: set[int] = set()
        if wanted:
            self.writer.drain()  # the session is about to be used in this thread
            for start in range(0, len(wanted), 1000):
                part = wanted[start : start + 1000]
                found.update(
                    self.session.scalars(
                        select(Order.id).where(Order.shop_id == self.shop_id, Order.id.in_(part))
                    )
                )
        for text, evidence in named.items():
            refusal = policy.missing_evidence(evidence, {"order_ids": found})
            self.verdicts[text] = refusal[1] if refusal else None


def _insert_columns() -> list[str]:
    """Return the insert's columns: the per-import ones first, then ``RECORD``'s."""
    names = ["shop_id", "created_by", "created_at", "updated_at", "status"]
    return names + [{"scope_json": "scope", "evidence_json": "evidence"}.get(n, n) for n in RECORD]


class _BatchWriter:
    """Inserts batches of records in a thread of its own, so the database works while rows are read.

    Rows go through ``core.bulk_insert`` (COPY on PostgreSQL, the driver's executemany on SQLite),
    as every bulk import's do: per-row parameter processing in SQLAlchemy costs more than the
    insert itself at a million rows. Both drivers let other Python threads run while the database
    works, so reading the next batch overlaps the insert of the last. A row that repeats an active
    entry (same dedupe key) is skipped by the database.
    """

    def __init__(self, session: Session, shop_id: int, created_by: str) -> None:
        self.session = session
        at = storage_value(session, ListEntry.__table__, "created_at", now())  # once, not per row
        self.prefix = (shop_id, created_by, at, at, EntryStatus.active.value)
        self.columns = _insert_columns()
        if not is_postgres(session):
            raw = session.connection().connection.driver_connection
            raw.execute("PRAGMA cache_size = -262144")  # 256 MB: the dedupe index takes random inserts
        self.pending: Future[None] | None = None
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="list-import-writer")

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.drain()
        finally:
            self.thread.shutdown()

    def write(self, records: list[Record | None]) -> None:
        """Queue one batch; waits for the batch before it, so at most one is in the database's hands."""
        prefix = self.prefix
        rows = [prefix + r for r in records]  # type: ignore[operator]
        self.drain()
        self.pending = self.thread.submit(self._insert, rows)

    def drain(self) -> None:
        """Wait until every queued batch is in (and raise what the database raised)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        insert_new_tuples(
            self.session,
            ListEntry.__table__,
            self.columns,
            rows,
            unique=("shop_id", "dedupe_key"),
            where="status = 'active'",
            encoded=("created_at", "updated_at", "scope", "evidence"),
        )


def read_csv(stream: IO[str]) -> CsvRows:
    """Return the CSV's rows, refusing a header without ``type`` and ``value``."""
    reader = csv.reader(stream)
    header = next(reader, [])
    if not {"type", "value"} <= set(header):
        raise Invalid(
            ListErrorCode.invalid_csv,
            f"the CSV header needs at least type and value; it has {sorted(set(header))}",
            field="file",
        )
    return CsvRows(reader, header)


def export_entries(session: Session, out: IO[str], *, shop_id: int | None, status: str | None = None) -> int:
    """Write the shop's entries as CSV (same columns as import, plus ids and state); return the count."""
    shop = shop_or_only_shop(session, shop_id)
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    stmt = select(ListEntry).where(ListEntry.shop_id == shop.id).order_by(ListEntry.id)
    if status:
        stmt = stmt.where(ListEntry.status == status)
    sells_to = countries_shop_sells_to(session, shop)
    count = 0
    for entry in session.scalars(stmt.execution_options(yield_per=5000)):
        scope = entry.scope or {}
        broad = policy.broad_entry_reason(entry.type, entry.value, sells_to=sells_to) is not None
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
                "true" if broad else "",  # what the shop has confirmed imports again as it is
                entry.status,
                entry.customer_id or "",
                entry.block_id or "",
                entry.created_by,
                entry.created_at.isoformat(),
            ]
        )
        count += 1
    return count
