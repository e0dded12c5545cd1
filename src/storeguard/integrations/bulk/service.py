"""Importing a file of one kind into a shop: the one entry the CLI and the benchmark use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.batches import READERS, made_in_children, worth_it
from storeguard.core.errors import Invalid
from storeguard.integrations.bulk import csv_files as csv_rows
from storeguard.integrations.bulk.batch_writers import (
    write_customers,
    write_orders,
    write_refunds,
)
from storeguard.integrations.bulk.file_records import is_json_array
from storeguard.integrations.bulk.runs import (
    BATCH,
    RELINKED_TABLES,
    BatchOutcome,
    Item,
    Writer,
    batches_of,
    refresh_statistics,
    run_import,
    start_run,
    write_items,
)
from storeguard.integrations.bulk.shopify_files import shopify_batches
from storeguard.integrations.enums import ImportStatus
from storeguard.integrations.errors import IntegrationError
from storeguard.integrations.models import ImportRun
from storeguard.lists.csvio import ImportResult, import_entries, read_csv
from storeguard.orders.models import Order
from storeguard.orders.reindex import reindex_identifiers
from storeguard.risk.actions import recompute_risk
from storeguard.shops.models import Shop

CSV_KINDS = ("customers", "orders", "refunds")
# Kinds the product names that another domain must bring first, and why each is refused for now.
NOT_YET = {
    "returns": "storeguard has no returns yet (they come with the returns feature), so there is "
    "nothing to import returns into",
}


def _order_currencies(session: Session, shop: Shop) -> dict[str, str]:
    rows = session.execute(select(Order.platform_id, Order.currency).where(Order.shop_id == shop.id))
    return {pid: cur for pid, cur in rows if pid}


Make = Callable[[], Iterable[Any]]
Write = Callable[[Session, Shop, Any], BatchOutcome]


def plan(
    session: Session,
    shop: Shop,
    kind: str,
    path: Path,
    preset: str | None,
    *,
    batch_size: int = BATCH,
) -> tuple[Make, Write]:
    """Return what makes the batches of a file and their writer.

    The maker is picklable, for a reader process, and takes ``skip_through``: the last row a
    previous run committed.
    """
    if kind in NOT_YET:
        raise Invalid(
            IntegrationError.import_kind_unavailable, f"cannot import {kind}: {NOT_YET[kind]}", field="kind"
        )
    if kind == "blocklist":
        raise Invalid(
            IntegrationError.import_kind_elsewhere,
            "a blocklist is list entries, imported all or nothing by import_blocklist (storeguard.lists)",
            field="kind",
        )
    if not path.is_file():
        raise Invalid(IntegrationError.import_file_missing, f"no file at {path}", field="file")
    if kind == "shopify":
        return partial(shopify_batches, path, batch_size=batch_size), partial(write_items, write_orders)
    if preset is not None and (kind != "orders" or preset not in csv_rows.PRESETS):
        raise Invalid(
            IntegrationError.import_preset_unknown,
            f"preset {preset!r} is not one of: woocommerce (orders)",
            field="preset",
        )
    items: Callable[[], Iterable[Item]]
    writer: Writer
    if kind == "customers":
        items, writer = partial(csv_rows.customer_items, path), write_customers
    elif kind == "orders":
        items, writer = partial(csv_rows.order_items, path, preset), write_orders
    elif kind == "refunds":
        items, writer = partial(csv_rows.refund_items, path, _order_currencies(session, shop)), write_refunds
    else:
        raise Invalid(
            IntegrationError.import_kind_unknown,
            f"kind must be one of shopify, {', '.join(CSV_KINDS)}",
            field="kind",
        )
    make = partial(batches_of, items, batch_size=batch_size)
    return make, partial(write_items, writer)


# Imports that bring customers or their orders, and so identifiers to link on.
LINKED_KINDS = frozenset({"shopify", "orders", "customers"})


def import_file(
    session: Session,
    shop: Shop,
    kind: str,
    path: Path,
    *,
    report_dir: Path,
    preset: str | None = None,
    batch_size: int = BATCH,
    on_progress: Callable[[int, int], None] | None = None,
    stop_after_batches: int | None = None,
    parallel: bool | None = None,
    relink: bool = True,
    on_assess: Callable[[int, int], None] | None = None,
) -> ImportRun:
    """Import ``path`` into ``shop``, resuming an interrupted run of the same file; commits per batch.

    With ``parallel`` (by default: for files of a few megabytes and up, on a multi-core machine)
    the file is read and mapped in other processes while this one writes, through the same
    mirror writer webhooks use. ``relink=False`` leaves identifiers and links for a later
    ``storeguard orders reindex-identifiers`` (several files in a row, relinked once at the end)
    and the customers' risk for a later ``storeguard risk recompute``; otherwise every customer of
    the shop is reassessed after the links, with ``on_assess(done, total)`` told as it goes.
    """
    make_from, write = plan(session, shop, kind, path, preset, batch_size=batch_size)
    run = start_run(session, shop, "shopify" if kind == "shopify" else kind, path, report_dir)
    if parallel is None:
        parallel = worth_it(path.stat().st_size)
    make = partial(make_from, skip_through=run.rows_done)
    batches: Iterable[Any]
    if not parallel:
        batches = iter(make())
    elif kind == "shopify" and not is_json_array(path):
        # Readers take turns at the batches (a JSON array is found record by record: one reader).
        batches = made_in_children([partial(make, part=k, parts=READERS) for k in range(READERS)])
    else:
        batches = made_in_children([make])
    run_id = run.id
    try:
        run = run_import(
            session, shop, run, batches, write, on_progress=on_progress, stop_after_batches=stop_after_batches
        )
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # an interrupted run ends its reader (process) now, not at garbage collection
    finished = session.scalar(select(ImportRun.status).where(ImportRun.id == run_id)) == ImportStatus.finished
    if finished and relink and kind in LINKED_KINDS:
        # An import leaves linking current: the customers' identifiers and clusters are what a
        # reindex makes of the shop now, so screening links imported history at once.
        reindex_identifiers(session, shop.id)
        session.commit()
        # Planned without statistics on the identifiers just written, risk's pass joined them to
        # themselves by nested loops and ran for over 20 minutes on 100,000 orders (PostgreSQL).
        refresh_statistics(session, RELINKED_TABLES)
        # And risk: the history just written bypassed the writes that mark customers stale, and
        # one set-based pass over the shop costs less than reassessing customer by customer.
        recompute_risk(session, shop_id=shop.id, progress=on_assess)
        session.commit()
        run = session.get(ImportRun, run_id, populate_existing=True) or run  # loaded, for the caller
    return run


def import_blocklist(
    session: Session,
    shop: Shop,
    path: Path,
    *,
    actor: Actor,
    note: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a blocklist CSV into ``shop``'s list entries: the lists domain's own import does it.

    All or nothing: when ``result.errors`` is not empty the caller rolls back. Never commits.
    """
    if not path.is_file():
        raise Invalid(IntegrationError.import_file_missing, f"no file at {path}", field="file")
    with path.open(newline="", encoding="utf-8") as stream:
        return import_entries(
            session,
            read_csv(stream),
            shop_id=shop.id,
            actor=actor,
            note=note,
            source=path.name,
            progress=progress,
        )
