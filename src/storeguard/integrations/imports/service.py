"""Importing a file of one kind into a shop: the one entry the CLI and the benchmark use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.errors import Invalid
from storeguard.integrations.imports import csv_rows
from storeguard.integrations.imports.orders import (
    shopify_items,
    write_customers,
    write_orders,
    write_refunds,
)
from storeguard.integrations.imports.pipeline import mapped_in_child, worth_it
from storeguard.integrations.imports.runner import BATCH, Item, Writer, run_import, start_run
from storeguard.integrations.models import ImportRun
from storeguard.lists.csvio import ImportResult, import_entries, read_csv
from storeguard.orders.models import Order
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


def plan(
    session: Session, shop: Shop, kind: str, path: Path, preset: str | None
) -> tuple[Callable[[], Iterable[Item]], Writer]:
    """Return what makes the items of a file (picklable, for a reader process) and their writer."""
    if kind in NOT_YET:
        raise Invalid("import_kind_unavailable", f"cannot import {kind}: {NOT_YET[kind]}", field="kind")
    if kind == "blocklist":
        raise Invalid(
            "import_kind_elsewhere",
            "a blocklist is list entries, imported all or nothing by import_blocklist (storeguard.lists)",
            field="kind",
        )
    if not path.is_file():
        raise Invalid("import_file_missing", f"no file at {path}", field="file")
    if kind == "shopify":
        return partial(shopify_items, path), write_orders
    if preset is not None and (kind != "orders" or preset not in csv_rows.PRESETS):
        raise Invalid(
            "import_preset_unknown", f"preset {preset!r} is not one of: woocommerce (orders)", field="preset"
        )
    if kind == "customers":
        return partial(csv_rows.customer_items, path), write_customers
    if kind == "orders":
        return partial(csv_rows.order_items, path, preset), write_orders
    if kind == "refunds":
        return partial(csv_rows.refund_items, path, _order_currencies(session, shop)), write_refunds
    raise Invalid("import_kind_unknown", f"kind must be one of shopify, {', '.join(CSV_KINDS)}", field="kind")


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
) -> ImportRun:
    """Import ``path`` into ``shop``, resuming an interrupted run of the same file; commits per batch.

    With ``parallel`` (by default: for files of a few megabytes and up, on a multi-core machine)
    the file is read and mapped in a second process while this one writes.
    """
    make, writer = plan(session, shop, kind, path, preset)
    run = start_run(session, shop, "shopify" if kind == "shopify" else kind, path, report_dir)
    if parallel is None:
        parallel = worth_it(path.stat().st_size)
    items = mapped_in_child(make, skip_through=run.rows_done) if parallel else make()
    try:
        return run_import(
            session,
            shop,
            run,
            items,
            writer,
            batch_size=batch_size,
            on_progress=on_progress,
            stop_after_batches=stop_after_batches,
        )
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # an interrupted run ends its reader (process) now, not at garbage collection


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
        raise Invalid("import_file_missing", f"no file at {path}", field="file")
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
