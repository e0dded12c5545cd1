"""Importing a shop's Shopify Payments disputes from a file (JSON array or JSON lines).

Each dispute object goes through the same action a ``disputes/create`` or ``disputes/update``
webhook does, so a re-run is harmless (a report already applied changes nothing) and the
customers whose orders were disputed are marked for reassessment in the same transaction; the
stale customers are reassessed before the import returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.disputes.actions import record_dispute_report
from storeguard.integrations.bulk.file_records import iter_json_records
from storeguard.integrations.mirror.orders import find_order
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.platforms.shopify.mapping import map_dispute
from storeguard.risk.freshness import refresh_stale
from storeguard.shops.models import Shop

BATCH = 500


@dataclass(slots=True)
class DisputeImport:
    """How a disputes file went: disputes recorded, of which on no known order; rows refused."""

    recorded: int = 0
    without_order: int = 0
    assessed: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def import_shopify_disputes(
    session: Session,
    shop: Shop,
    path: Path,
    *,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> DisputeImport:
    """Record every dispute of the file on its order (by Shopify order id); commits per batch."""
    result = DisputeImport()
    for n, record in enumerate(iter_json_records(path), start=1):
        try:
            if record.error is not None or not isinstance(record.value, dict):
                raise MappingError(record.error or "a dispute is a JSON object")
            report = map_dispute(record.value)
        except MappingError as exc:
            result.failed.append((record.row, str(exc)))
            continue
        order = find_order(session, shop.id, report.order_platform_id) if report.order_platform_id else None
        record_dispute_report(
            session,
            report,
            actor=actor,
            event="shopify:disputes/import",
            event_id=None,
            occurred_at=None,
            order_id=order.id if order is not None else None,
            payload=record.value,
        )
        result.recorded += 1
        result.without_order += order is None
        if n % BATCH == 0:
            session.commit()
            if progress is not None:
                progress(n)
    session.commit()
    if progress is not None:
        progress(result.recorded + len(result.failed))
    while done := refresh_stale(session):
        result.assessed += done
    return result
