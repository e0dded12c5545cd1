"""A Shopify file (JSON lines or a JSON array of orders) read and mapped, batch by batch.

Pure CPU work on the file, so it may run in reader processes (``imports.pipeline``) while the
importing process writes each batch through the mirror writer webhooks use (``store.upsert_orders``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storeguard.integrations.bulk.file_records import record_batches
from storeguard.integrations.bulk.runs import BATCH, Item, ItemBatch
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.platforms.shopify.mapping import map_order


def _unwrap(value: Any) -> Any:
    """An export may wrap each order as ``{"order": {...}}``, as the Admin REST API answers."""
    return value["order"] if isinstance(value, dict) and len(value) == 1 and "order" in value else value


def shopify_batches(
    path: Path, *, skip_through: int = 0, batch_size: int = BATCH, part: int = 0, parts: int = 1
) -> Iterator[ItemBatch]:
    """Read and map the file's orders after row ``skip_through``, in batches.

    With ``parts`` readers, this one makes every ``parts``-th batch from batch ``part`` on.
    """
    for batch in record_batches(
        path, skip_through=skip_through, batch_size=batch_size, part=part, parts=parts
    ):
        items: list[Item] = []
        errors: list[tuple[int, str]] = []
        for record in batch:
            if record.error is not None:
                errors.append((record.row, record.error))
                continue
            try:
                items.append(Item(record.row, map_order(_unwrap(record.value)), None, record.offset))
            except MappingError as exc:
                errors.append((record.row, str(exc)))
        yield ItemBatch(batch[-1].row, batch[-1].offset, errors, items)
