"""Insert a generated demo store in bulk, then run what has to follow a bulk load."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM, Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now as clock_now
from storeguard.core.db import Base, is_postgres
from storeguard.core.errors import Conflict
from storeguard.customers.models import Customer
from storeguard.customers.reindex import reindex_identifiers
from storeguard.demo.generator import SHOP, DemoConfig, generate
from storeguard.orders.models import (
    CancellationRequest,
    Fulfillment,
    FulfillmentLine,
    InventoryMovement,
    LineItem,
    Order,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.shops.actions import create_shop
from storeguard.shops.models import Product, Shop
from storeguard.shops.schemas import ShopCreate
from storeguard.shops.service import get_shop_by_domain

# Parents before children: transactions point at refunds, lines at orders and products.
MODELS: dict[str, type[Base]] = {
    "products": Product,
    "customers": Customer,
    "orders": Order,
    "line_items": LineItem,
    "refunds": Refund,
    "refund_lines": RefundLine,
    "transactions": Transaction,
    "fulfillments": Fulfillment,
    "fulfillment_lines": FulfillmentLine,
    "inventory_movements": InventoryMovement,
    "cancellation_requests": CancellationRequest,
}
BATCH = 5_000

Progress = Callable[[str, int], None]  # (table, rows just inserted)


@dataclass
class LoadResult:
    shop: Shop
    counts: dict[str, int]
    ground_truth: dict[str, Any]
    stock_corrections: dict[int, tuple[int, int]]


def _max_ids(session: Session) -> dict[str, int]:
    return {name: session.scalar(select(func.max(model.id))) or 0 for name, model in MODELS.items()}


def _advance_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past the ids the load chose itself."""
    for name in MODELS:
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))")
        )


def load_demo(
    session: Session,
    config: DemoConfig,
    *,
    now: datetime | None = None,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> LoadResult:
    """Create the demo shop and bulk-insert its year of customers and orders; flushes, never commits."""
    if get_shop_by_domain(session, SHOP["domain"]) is not None:
        raise Conflict(
            "demo_already_loaded",
            f"the demo shop {SHOP['domain']} is already in this database",
            field="domain",
        )
    shop = create_shop(session, data=ShopCreate(**SHOP), actor=actor, settings={"demo": True})
    data = generate(config, shop_id=shop.id, now=now or clock_now(), id_start=_max_ids(session))
    for name, model in MODELS.items():
        rows = data.tables[name]
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            # A Core insert of the table runs one executemany per batch; the ORM's bulk path
            # fell back to a statement per row here, six times slower.
            session.execute(insert(model.__table__), batch)
            if progress:
                progress(name, len(batch))
    if is_postgres(session):
        _advance_sequences(session)
    corrections = after_load(session, shop)
    counts = data.counts()
    record_event(
        session,
        actor=actor,
        action="demo.loaded",
        subject_type="shop",
        subject_id=shop.id,
        data={"seed": config.seed, "counts": counts},
    )
    session.flush()
    return LoadResult(shop=shop, counts=counts, ground_truth=data.ground_truth, stock_corrections=corrections)


def after_load(session: Session, shop: Shop) -> dict[int, tuple[int, int]]:
    """Run what must follow a bulk load of ``shop``'s data; return the stock corrections made.

    A bulk insert skips the actions that keep derived data current, so this is where it is
    brought up to date: product stock is recomputed from the inventory movement ledger (the
    load records what was received and every sale and restock, not the shelf count). The
    identity index (every customer's identifiers and the clusters they link into) is built here,
    so a blocked demo customer's second account is recognised from the first start.
    """
    corrections = reconcile_stock(session, shop.id)
    reindex_identifiers(session, shop.id)
    return corrections


def reconcile_stock(session: Session, shop_id: int) -> dict[int, tuple[int, int]]:
    """Set each product's stock to the sum of its inventory movements; return {id: (was, now)}."""
    rows = session.execute(
        select(InventoryMovement.product_id, func.sum(InventoryMovement.delta))
        .join(Product, Product.id == InventoryMovement.product_id)
        .where(Product.shop_id == shop_id)
        .group_by(InventoryMovement.product_id)
    ).all()
    ledger = {product_id: int(total or 0) for product_id, total in rows}
    corrections: dict[int, tuple[int, int]] = {}
    for product in session.scalars(select(Product).where(Product.shop_id == shop_id).order_by(Product.id)):
        counted = int(ledger.get(product.id, 0))
        if product.stock != counted:
            corrections[product.id] = (product.stock, counted)
            product.stock = counted
    session.flush()
    return corrections


def write_ground_truth(path: Path, truth: dict[str, Any]) -> None:
    """Write who each customer really is to ``path`` (JSON), outside the database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
