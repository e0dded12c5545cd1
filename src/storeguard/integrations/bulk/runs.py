"""Running an import: batches, commits with progress saved, a bad-rows report, resumption.

Each batch is committed together with the run's position, so an interrupted import resumes
after the last committed row; re-running a finished file upserts by platform id and reports
the rows as skipped.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.integrations.enums import ImportStatus
from storeguard.integrations.mirror.shapes import quick_pickle
from storeguard.integrations.models import ImportRun
from storeguard.shops.models import Shop

BATCH = 1000


@quick_pickle
@dataclass(slots=True)
class Item:
    """A row ready for a batch: its row number and the mapped value, or why it cannot be used."""

    row: int
    value: Any
    error: str | None
    offset: int


@dataclass(slots=True)
class BatchOutcome:
    created: int
    updated: int
    skipped: int
    failed: list[tuple[int, str]]  # (row number, reason)


Writer = Callable[[Session, Shop, list[Item]], BatchOutcome]


def fingerprint(path: Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def start_run(session: Session, shop: Shop, kind: str, path: Path, report_dir: Path) -> ImportRun:
    """Resume the unfinished run of this very file, or start a new one."""
    fp = fingerprint(path)
    run = session.scalar(
        select(ImportRun)
        .where(
            ImportRun.kind == kind,
            ImportRun.fingerprint == fp,
            ImportRun.shop_id == shop.id,
            ImportRun.status == ImportStatus.running,
        )
        .order_by(ImportRun.id.desc())
    )
    if run is None:
        run = ImportRun(kind=kind, fingerprint=fp, shop_id=shop.id, file_name=str(path), started_at=now())
        session.add(run)
        session.flush()
        report_dir.mkdir(parents=True, exist_ok=True)
        run.report_path = str(report_dir / f"import-{run.id}-{kind}-bad-rows.csv")
        session.commit()
    return run


@dataclass(slots=True)
class ItemBatch:
    """Items grouped for one commit: the last row and offset they reach, the bad ones, the good ones."""

    last_row: int
    offset: int
    errors: list[tuple[int, str]]
    items: list[Item]


class Batch(Protocol):
    """What the runner commits at a time: a position in the file and the rows that failed reading."""

    last_row: int
    offset: int
    errors: list[tuple[int, str]]


def item_batches(
    items: Iterable[Item], *, skip_through: int = 0, batch_size: int = BATCH
) -> Iterator[ItemBatch]:
    """Group items into batches of ``batch_size`` rows, leaving out rows through ``skip_through``."""
    for batch in _batches(items, skip_through, batch_size):
        good = [i for i in batch if i.error is None]
        bad = [(i.row, i.error or "") for i in batch if i.error is not None]
        yield ItemBatch(batch[-1].row, batch[-1].offset, bad, good)


def batches_of(
    make: Callable[[], Iterable[Item]], *, skip_through: int = 0, batch_size: int = BATCH
) -> Iterator[ItemBatch]:
    """Make the items and group them (picklable with ``make``, for a reader process)."""
    return item_batches(make(), skip_through=skip_through, batch_size=batch_size)


def write_items(writer: Writer, session: Session, shop: Shop, batch: ItemBatch) -> BatchOutcome:
    """Write an item batch's good items with ``writer``."""
    return writer(session, shop, batch.items) if batch.items else BatchOutcome(0, 0, 0, [])


def run_import(
    session: Session,
    shop: Shop,
    run: ImportRun,
    batches: Iterable[Any],
    write: Callable[[Session, Shop, Any], BatchOutcome],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    stop_after_batches: int | None = None,
) -> ImportRun:
    """Write ``batches`` (after the rows a previous run committed), committing each with its position."""
    with BadRowsReport(run) as report:
        for count, batch in enumerate(batches, start=1):
            skip_disk_wait(session)
            outcome = write(session, shop, batch)
            failures = sorted(batch.errors + outcome.failed)
            run.created += outcome.created
            run.updated += outcome.updated
            run.skipped += outcome.skipped
            run.failed += len(failures)
            run.rows_done = batch.last_row
            session.commit()  # the rows and the position together: a resume starts after them
            committed(session, count, batch, failures, report, on_progress)
            if stop_after_batches is not None and count >= stop_after_batches:
                return run  # an interruption, as a test or an operator's ^C would cause
    finish(session, run)
    return run


class BadRowsReport:
    """The run's report of rows that could not be imported: appended to, batch by batch."""

    def __init__(self, run: ImportRun) -> None:
        assert run.report_path is not None
        self.path = Path(run.report_path)

    def __enter__(self) -> BadRowsReport:
        new = not self.path.exists()
        self.file = self.path.open("a", newline="", encoding="utf-8")
        self.out = csv.writer(self.file)
        if new:
            self.out.writerow(["row", "reason"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def add(self, failures: list[tuple[int, str]]) -> None:
        self.out.writerows(failures)
        self.file.flush()


def skip_disk_wait(session: Session) -> None:
    """Let this transaction's commit return before its WAL is on disk (PostgreSQL).

    Safe for an import's batches: a crash loses at most the last few batches whole, rows and
    position together, and the import resumes before them. The run's last commit waits, and
    with it everything before it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def committed(
    session: Session,
    count: int,
    batch: Batch,
    failures: list[tuple[int, str]],
    report: BadRowsReport,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """What follows the commit of the ``count``-th batch: its bad rows, statistics, progress."""
    report.add(failures)
    if count & (count - 1) == 0 and count <= STATISTICS_UNTIL:  # batches 1, 2, 4...: tables doubled
        refresh_statistics(session)
    if on_progress is not None:
        on_progress(batch.last_row, batch.offset)


def finish(session: Session, run: ImportRun) -> None:
    """Mark the run finished."""
    run.status = ImportStatus.finished
    run.finished_at = now()
    session.commit()


# Statistics are refreshed after batches 1, 2, 4, ... up to this one. By then the planner knows
# the platform ids are all but unique and looks them up by index however large the tables grow
# (it scales its row counts by the tables' current size); analysing 32 and 64 batches' worth
# cost 2 of an import's 30 seconds of database time per 100,000 orders and changed no plan.
STATISTICS_UNTIL = 8
# What an import writes, and so what PostgreSQL's planner must see the size of.
IMPORTED_TABLES = ("customers", "orders", "line_items", "transactions", "fulfillments", "refunds")
# What relinking after an import writes; risk's pass over the shop joins them to themselves.
RELINKED_TABLES = ("identifiers", "customers")


def refresh_statistics(session: Session, tables: tuple[str, ...] = IMPORTED_TABLES) -> None:
    """Let PostgreSQL's planner see how large the import made the tables, then commit.

    Planned for the near-empty tables an import starts from, the per-batch look-ups by platform
    id scan every row of the shop (each batch slower than the last: 164 orders/s over 100,000);
    autovacuum catches up only after a minute or more. SQLite plans without statistics.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"ANALYZE {', '.join(tables)}"))
    session.commit()


def _batches(items: Iterable[Item], done: int, size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        if item.row <= done:
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
