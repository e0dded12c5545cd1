"""Insert a generated demo store in bulk, then run what has to follow a bulk load."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM, Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now as clock_now
from storeguard.core.db import Base, is_postgres
from storeguard.core.errors import Conflict
from storeguard.customers.identifiers import identifiers_of_order
from storeguard.customers.models import Customer
from storeguard.demo.errors import DemoError
from storeguard.demo.generator import SHOP, DemoConfig, generate
from storeguard.demo.ops import PlannedBlock
from storeguard.lists.blocking import block_customer
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
from storeguard.orders.reindex import reindex_identifiers
from storeguard.risk.actions import recompute_risk
from storeguard.screening.engine import velocity_keys
from storeguard.screening.models import VelocityEvent
from storeguard.screening.policy import WINDOWS
from storeguard.screening.profiles import refresh_profiles
from storeguard.screening.velocity_sql import event_rows
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


# The moment every demo store is drawn against (a Monday noon, UTC), before it is moved to now.
DRAWN_AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def shift_times(tables: dict[str, list[dict[str, Any]]], by: timedelta) -> None:
    """Move every time and date in the rows by ``by`` (dates by its whole days), in place."""
    days = timedelta(days=round(by / timedelta(days=1)))
    for rows in tables.values():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    row[key] = value + by
                elif isinstance(value, date):
                    row[key] = value + days


def load_demo(
    session: Session,
    config: DemoConfig,
    *,
    now: datetime | None = None,
    actor: Actor = SYSTEM,
    progress: Progress | None = None,
) -> LoadResult:
    """Create the demo shop and bulk-insert its year of customers and orders; flushes, never commits.

    Then what the shop's team and screening would have left behind: the blocks (made through
    ``block_customer``) and the last 30 days' velocity counts.
    """
    if get_shop_by_domain(session, SHOP["domain"]) is not None:
        raise Conflict(
            DemoError.demo_already_loaded,
            f"the demo shop {SHOP['domain']} is already in this database",
            field="domain",
        )
    shop = create_shop(session, data=ShopCreate(**SHOP), actor=actor, settings={"demo": True})
    at = now or clock_now()
    # Drawn against one fixed moment and moved to now, so a seed is the same store on every run
    # (customers, orders, amounts), whatever the day and hour it is loaded at.
    data = generate(config, shop_id=shop.id, now=DRAWN_AT, id_start=_max_ids(session))
    shift_times(data.tables, at - DRAWN_AT)
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
    counts["velocity_events"] = record_recent_velocity(session, shop, data.tables["orders"], at)
    truth = {**data.ground_truth, "blocks": make_blocks(session, data.blocks, actor)}
    example = linked_block_example(session, shop, truth["blocks"])
    if example is not None:
        truth["examples"] = {"linked_block": example}
    # The bulk insert bypassed the listener that keeps profiles and marks customers for the
    # background risk pass: build every customer's profile, set-based, then
    # assess everyone now, after the blocks, so every customer page shows a score and a segment.
    refresh_profiles(session, session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)).all())
    counts["risk_assessments"] = recompute_risk(session, shop_id=shop.id)
    record_event(
        session,
        actor=actor,
        action="demo.loaded",
        subject_type="shop",
        subject_id=shop.id,
        data={"seed": config.seed, "counts": counts},
    )
    session.flush()
    return LoadResult(shop=shop, counts=counts, ground_truth=truth, stock_corrections=corrections)


def after_load(session: Session, shop: Shop) -> dict[int, tuple[int, int]]:
    """Run what must follow a bulk load of ``shop``'s data; return the stock corrections made.

    A bulk insert skips the actions that keep derived data current, so this is where it is
    brought up to date: product stock is recomputed from the inventory movement ledger (the
    load records what was received and every sale and restock, not the shelf count). The
    identity index (every customer's identifiers and the clusters they link into) is built here,
    so a block made afterwards reaches the customer's identifiers and linked second accounts.
    """
    corrections = reconcile_stock(session, shop.id)
    reindex_identifiers(session, shop.id)
    return corrections


def record_recent_velocity(
    session: Session, shop: Shop, orders: Sequence[dict[str, Any]], now: datetime
) -> int:
    """Count the last 30 days' orders under their identifiers, as screening did when it accepted them.

    Bulk-inserted orders were never screened, so without this every velocity fact reads 0. The
    keys are screening's own (``velocity_keys``, ``event_rows``); with Redis as the velocity store
    these database rows are not read.
    """
    since = now - timedelta(seconds=WINDOWS["30d"])
    rows: list[dict[str, Any]] = []
    for order in orders:
        if order["created_at"] > since:
            keys = velocity_keys(identifiers_of_order(order, default_region=shop.country))
            rows += event_rows(
                shop.id, keys, order_id=order["id"], amount=order["total"], at=order["created_at"]
            )
    for start in range(0, len(rows), BATCH):
        session.execute(insert(VelocityEvent.__table__), rows[start : start + BATCH])
    return len(rows)


def make_blocks(session: Session, plans: Sequence[PlannedBlock], actor: Actor) -> list[dict[str, Any]]:
    """Make the team's blocks through ``block_customer``; return them for the ground truth.

    Each entry says which of the customer's second accounts the shop's link types connect to them
    (those are blocked through the link at checkout).
    """
    made = []
    for plan in plans:
        # No notice: the demo's customers and their mailboxes are made up.
        block = block_customer(
            session,
            customer_id=plan.customer_id,
            actor=actor,
            reason_code=plan.reason_code,
            evidence=plan.evidence(),
            scope=plan.scope,
            notify=False,
        )
        made.append({**plan.truth(), "block_id": block.id})
    wanted = {c for m in made for c in (m["customer_id"], *m["second_accounts"])}
    cluster = dict(
        session.execute(select(Customer.id, Customer.cluster_id).where(Customer.id.in_(wanted))).all()
    )
    for m in made:
        own = cluster.get(m["customer_id"])
        m["linked_second_accounts"] = [c for c in m["second_accounts"] if own and cluster.get(c) == own]
    return made


def linked_block_example(
    session: Session, shop: Shop, blocks: Sequence[dict[str, Any]]
) -> dict[str, Any] | None:
    """Return a checkout of a blocked customer's linked second account, for ``POST /v1/screen``."""
    found = next(((b, b["linked_second_accounts"][0]) for b in blocks if b["linked_second_accounts"]), None)
    if found is None:
        return None
    blocked, second = found
    email = session.scalar(select(Customer.email).where(Customer.id == second))
    sku = session.scalar(
        select(Product.sku)
        .where(Product.shop_id == shop.id, ~Product.limited_edition, ~Product.high_value)
        .order_by(Product.id)
        .limit(1)
    )
    return {
        "blocked_customer_id": blocked["customer_id"],
        "customer_id": second,
        "checkout": {
            "shop_id": shop.id,
            "customer_id": second,
            "email": email,
            "lines": [{"sku": sku, "quantity": 1}],
        },
    }


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
