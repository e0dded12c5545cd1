"""Writing a Shopify file's batches into PostgreSQL over two connections at once.

On PostgreSQL an import's time is the database's: COPY with its foreign-key checks and index
entries costs about 150 microseconds of one backend's CPU per order, and one connection keeps
one core busy, no more. Here one batch's orders go in over one connection while the next
batch's go in over the other. Batches still commit one after another in the file's order, each
with the run's position, so an interruption leaves the file committed up to some batch and a
resume starts after it, as with ``runner.run_import``.

What would make two batches step on each other is kept apart:

- Customers: a batch's stored orders and customers are looked up, and its new customers written
  and committed, on this process's own connection, one batch after another
  (``fastorders.look_up``), so the next batch finds them and no customer is made twice. A
  customer committed so may outlive an interrupted batch; the resume finds and uses it.
- An order (by platform id or number) in two batches: the later batch is looked up only once
  the earlier has committed.
- Orders upserted the careful way (stored ones, and what the reader marked unusual): their
  batch is written alone, and the next one looked up only after it committed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from storeguard.integrations.imports.fastorders import LookedUp, look_up, write_looked_up
from storeguard.integrations.imports.prepared import PreparedBatch
from storeguard.integrations.imports.runner import (
    BadRowsReport,
    BatchOutcome,
    committed,
    finish,
    skip_disk_wait,
)
from storeguard.integrations.models import ImportRun
from storeguard.shops.models import Shop

CONNECTIONS = 2
Written = tuple[BatchOutcome, list[tuple[int, str]]]


@dataclass(slots=True)
class _InFlight:
    count: int
    batch: PreparedBatch
    careful: bool
    keys: set[tuple[str, str]]
    written: Future[Written]


def _keys(batch: PreparedBatch) -> set[tuple[str, str]]:
    return {("id", pid) for pid in batch.platform_ids} | {("number", n) for n in batch.numbers}


def run_overlapped(
    session: Session,
    shop: Shop,
    run: ImportRun,
    batches: Iterable[PreparedBatch],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    source: str = "import",
) -> ImportRun:
    """Write prepared PostgreSQL batches over two connections, committing them in order.

    ``session`` must be bound to an engine (its own connections), not to one connection.
    """
    writers = [Session(bind=session.get_bind(), expire_on_commit=False) for _ in range(CONNECTIONS)]
    pool = ThreadPoolExecutor(CONNECTIONS, thread_name_prefix="import-writer")
    in_flight: deque[_InFlight] = deque()
    shop_id, run_id = shop.id, run.id  # the writers' threads never touch this session's objects

    def write(
        writer: Session, batch: PreparedBatch, found: LookedUp, before: Future[Written] | None
    ) -> Written:
        try:
            skip_disk_wait(writer)
            own_shop = writer.get(Shop, shop_id)
            assert own_shop is not None
            outcome = write_looked_up(writer, own_shop, batch, found, source=source)
            failures = sorted(batch.errors + outcome.failed)
            if before is not None:
                before.result()  # the batch before commits first; if it failed, this one rolls back
            writer.execute(
                update(ImportRun)
                .where(ImportRun.id == run_id)
                .values(
                    created=ImportRun.created + outcome.created,
                    updated=ImportRun.updated + outcome.updated,
                    skipped=ImportRun.skipped + outcome.skipped,
                    failed=ImportRun.failed + len(failures),
                    rows_done=batch.last_row,
                )
            )
            writer.commit()  # the rows and the position together: a resume starts after them
            return outcome, failures
        except BaseException:
            writer.rollback()
            raise

    def settle_oldest(report: BadRowsReport) -> None:
        oldest = in_flight.popleft()
        _, failures = oldest.written.result()
        committed(session, oldest.count, oldest.batch, failures, report, on_progress)

    try:
        with BadRowsReport(run) as report:
            try:
                for count, batch in enumerate(batches, start=1):
                    keys = _keys(batch)
                    while in_flight and (in_flight[-1].careful or in_flight[-1].keys & keys):
                        settle_oldest(report)
                    skip_disk_wait(session)
                    found = look_up(session, shop, batch)
                    session.commit()  # the customers, for the next batch's look-up to find
                    while in_flight and (found.careful or len(in_flight) >= CONNECTIONS):
                        settle_oldest(report)
                    before = in_flight[-1].written if in_flight else None
                    written = pool.submit(write, writers[count % CONNECTIONS], batch, found, before)
                    in_flight.append(_InFlight(count, batch, bool(found.careful), keys, written))
                while in_flight:
                    settle_oldest(report)
            finally:
                # After an error: the batches in flight commit (those before it) or roll back;
                # the bad rows of those that committed go in the report all the same.
                for flight in in_flight:
                    if flight.written.exception() is None:
                        report.add(flight.written.result()[1])
    finally:
        pool.shutdown()
        for writer in writers:
            writer.close()
    session.refresh(run)  # the writers' connections counted the batches
    finish(session, run)
    return run
