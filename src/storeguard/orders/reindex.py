"""Customers' identifiers derived again from every stored order, and their link clusters rebuilt.

It lives with orders because it reads them; the clusters themselves are the customers' (``customers.clusters``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storeguard.core.batches import worked_in_children
from storeguard.core.bulk_insert import insert_tuples
from storeguard.core.clock import now
from storeguard.customers.clusters import relink_customers
from storeguard.customers.enums import IdentifierSource
from storeguard.customers.identifiers import identifiers_of_customer, identifiers_of_order, link_types
from storeguard.customers.models import Customer, Identifier
from storeguard.orders.models import Order
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop


@dataclass(frozen=True, slots=True)
class ReindexResult:
    """What a reindex did: orders read, identifiers added and updated, clusters that hold 2+ customers."""

    orders: int
    identifiers_added: int
    identifiers_updated: int
    linked_clusters: int


def _see(
    found: dict[tuple[int, str, str], list[Any]],
    customer_id: int,
    facts: Iterable[tuple[str, str, str]],
    at: datetime,
    order_id: int | None,
    source: str,
) -> None:
    for kind, value, display in facts:
        key = (customer_id, kind, value)
        seen = found.get(key)
        if seen is None:
            found[key] = [display[:600], at, at, order_id, source]
        else:
            if at < seen[1]:
                seen[1], seen[3] = at, order_id or seen[3]
            if at > seen[2]:
                seen[2] = at


_ORDER_COLUMNS = (
    "id",
    "customer_id",
    "created_at",
    "email",
    "phone",
    "shipping_address",
    "billing_address",
    "browser_ip",
    "device_id",
    "payment_fingerprint",
    "card_bin",
    "card_last4",
    "card_expiry",
    "user_agent",
)


_IDENTIFIER_COLUMNS = (
    "shop_id",
    "customer_id",
    "type",
    "value",
    "display",
    "first_seen",
    "last_seen",
    "first_order_id",
    "source",
)
CHUNK = 2000  # orders read, and worked on, at a time
# Deriving identifiers (normalizing addresses and phones) is most of a reindex's CPU; from this
# many orders on, two child processes do it while this one reads and merges. Below it, starting
# them (about a second) costs more than it saves.
PARALLEL_FROM = 20_000
WORKERS = 2
_region: str | None = None


def _start_worker(region: str | None) -> None:
    global _region
    _region = region


def _facts_of_orders(chunk: list[tuple[Any, ...]]) -> list[list[tuple[str, str, str]]]:
    """The identifiers of each order of a chunk, as (type, value, display): plain tuples travel cheaply."""
    return [
        [
            (f.type._value_, f.value, f.display)
            for f in identifiers_of_order(
                dict(zip(_ORDER_COLUMNS, row, strict=False)),
                default_region=_region,
                platform_customer_id=row[-1],
            )
        ]
        for row in chunk
    ]


def _facts_of_chunks(
    chunks: Iterator[list[tuple[Any, ...]]], region: str | None
) -> Iterator[tuple[list[tuple[Any, ...]], list[list[tuple[str, str, str]]]]]:
    """Yield each chunk of orders with its identifiers, in order; in child processes for many orders."""
    ahead: list[list[tuple[Any, ...]]] = []
    while sum(map(len, ahead)) < PARALLEL_FROM and (chunk := next(chunks, None)) is not None:
        ahead.append(chunk)
    everything = chain(ahead, chunks)
    if sum(map(len, ahead)) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        _start_worker(region)
        for chunk in everything:
            yield chunk, _facts_of_orders(chunk)
        return
    yield from worked_in_children(
        everything, _facts_of_orders, workers=WORKERS, initializer=_start_worker, initargs=(region,)
    )


def reindex_identifiers(session: Session, shop_id: int | None = None) -> ReindexResult:
    """Derive every customer's identifiers from their orders and records, then rebuild link clusters."""

    shops = [get_shop(session, shop_id)] if shop_id else session.scalars(select(Shop)).all()
    orders = added = updated = clusters = 0
    for shop in shops:
        found: dict[tuple[int, str, str], list[Any]] = {}  # key -> [display, first, last, order, source]

        customers = session.execute(
            select(
                Customer.id, Customer.email, Customer.phone, Customer.platform_id, Customer.created_at
            ).where(Customer.shop_id == shop.id)
        ).all()
        platform_ids = {c.id: c.platform_id for c in customers}
        for c in customers:
            _see(
                found,
                c.id,
                [
                    (f.type._value_, f.value, f.display)
                    for f in identifiers_of_customer(c, default_region=shop.country)
                ],
                c.created_at or now(),
                None,
                IdentifierSource.customer,
            )
        columns = [getattr(Order, name) for name in _ORDER_COLUMNS]
        stmt = (
            select(*columns)
            .where(Order.shop_id == shop.id, Order.customer_id.is_not(None))
            .order_by(Order.id)
            .execution_options(yield_per=CHUNK)
        )
        chunks = (
            [(*row, platform_ids.get(row.customer_id)) for row in part]
            for part in session.execute(stmt).partitions()
        )
        for chunk, facts_per_order in _facts_of_chunks(chunks, shop.country):
            orders += len(chunk)
            for row, facts in zip(chunk, facts_per_order, strict=True):
                _see(found, row[1], facts, row[2], row[0], IdentifierSource.order)

        existing = session.execute(
            select(
                Identifier.id,
                Identifier.customer_id,
                Identifier.type,
                Identifier.value,
                Identifier.first_seen,
                Identifier.last_seen,
            ).where(Identifier.shop_id == shop.id)
        ).all()
        changes: list[dict[str, Any]] = []
        for row in existing:
            seen = found.pop((row.customer_id, row.type, row.value), None)
            if seen is not None and (seen[1] < row.first_seen or seen[2] > row.last_seen):
                changes.append(
                    {
                        "id": row.id,
                        "first_seen": min(seen[1], row.first_seen),
                        "last_seen": max(seen[2], row.last_seen),
                    }
                )
        if changes:
            session.execute(update(Identifier), changes)
        if found:
            insert_tuples(
                session,
                Identifier.__table__,
                _IDENTIFIER_COLUMNS,
                [(shop.id, cid, kind, value, *seen) for (cid, kind, value), seen in found.items()],
            )
        added += len(found)
        updated += len(changes)
        clusters += relink_customers(session, shop.id, types=link_types(shop))
    session.flush()
    return ReindexResult(orders, added, updated, clusters)
