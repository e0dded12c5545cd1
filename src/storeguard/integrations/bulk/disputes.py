"""Importing a shop's disputes from a file (JSON array or JSON lines) of the gateway's own dispute
objects: Shopify Payments, Stripe, Square or PayPal, as their APIs list them.

Each dispute object goes through the same mapping and action its gateway's webhook does, so a re-run is harmless (a report already applied changes nothing) and the
customers whose orders were disputed are marked for reassessment in the same transaction; the
stale customers are reassessed before the import returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.disputes.actions import record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.bulk.file_records import iter_json_records
from storeguard.integrations.mirror.orders import find_order
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.platforms.paypal.ingest import map_dispute as map_paypal_dispute
from storeguard.integrations.platforms.shopify.mapping import map_dispute
from storeguard.integrations.platforms.square.ingest import map_dispute as map_square_dispute
from storeguard.integrations.platforms.stripe.ingest import map_dispute as map_stripe_dispute
from storeguard.orders.models import Order
from storeguard.orders.service import find_order_for_payment
from storeguard.risk.freshness import refresh_stale
from storeguard.shops.models import Shop

BATCH = 500
# Each gateway's dispute object as its API lists it; a listed Stripe dispute is read as its
# latest update.
MAPPERS: dict[str, Callable[[dict[str, Any]], DisputeReport]] = {
    "shopify": map_dispute,
    "stripe": lambda obj: map_stripe_dispute(obj, "charge.dispute.updated"),
    "square": map_square_dispute,
    "paypal": map_paypal_dispute,
}


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
    """Record every Shopify Payments dispute of the file on its order (by Shopify order id)."""
    return import_disputes(session, shop, path, gateway="shopify", actor=actor, progress=progress)


def import_disputes(
    session: Session,
    shop: Shop,
    path: Path,
    *,
    gateway: str,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> DisputeImport:
    """Record every dispute of the file on its order, as the gateway's webhook would; commits per batch.

    A dispute on no known order is kept (unmatched), never dropped; a row that is no dispute of
    that gateway is refused with its row number and why.
    """
    mapper = MAPPERS[gateway]
    result = DisputeImport()
    for n, record in enumerate(iter_json_records(path), start=1):
        try:
            if record.error is not None or not isinstance(record.value, dict):
                raise MappingError(record.error or "a dispute is a JSON object")
            report = mapper(record.value)
        except MappingError as exc:
            result.failed.append((record.row, str(exc)))
            continue
        order = _order_of(session, shop, gateway, report, record.value)
        record_dispute_report(
            session,
            report,
            actor=actor,
            event=f"{gateway}:disputes/import",
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


def _order_of(
    session: Session, shop: Shop, gateway: str, report: DisputeReport, value: dict[str, Any]
) -> Order | None:
    if gateway == "shopify":
        return find_order(session, shop.id, report.order_platform_id) if report.order_platform_id else None
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    if report.order_platform_id:
        metadata = {**metadata, "order_id": report.order_platform_id}
    return find_order_for_payment(
        session,
        metadata=metadata,
        payment_reference=report.payment_reference,
        charge_reference=report.charge_reference,
        shop_id=shop.id,
    )
