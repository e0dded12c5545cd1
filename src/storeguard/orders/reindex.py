"""Customers' identifiers derived again from every stored order, and their link clusters rebuilt.

It lives with orders because it reads them; the clusters themselves are the customers' (``customers.clusters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

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
    facts: Any,
    at: datetime,
    order_id: int | None,
    source: str,
) -> None:
    for fact in facts:
        key = (customer_id, fact.type.value, fact.value)
        seen = found.get(key)
        if seen is None:
            found[key] = [fact.display[:600], at, at, order_id, source]
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
                identifiers_of_customer(c, default_region=shop.country),
                c.created_at or now(),
                None,
                IdentifierSource.customer,
            )
        columns = [getattr(Order, name) for name in _ORDER_COLUMNS]
        stmt = (
            select(*columns)
            .where(Order.shop_id == shop.id, Order.customer_id.is_not(None))
            .order_by(Order.id)
            .execution_options(yield_per=2000)
        )
        for row in session.execute(stmt):
            orders += 1
            facts = identifiers_of_order(
                row._mapping,
                default_region=shop.country,
                platform_customer_id=platform_ids.get(row.customer_id),
            )
            _see(found, row.customer_id, facts, row.created_at, row.id, IdentifierSource.order)

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
            # Core's executemany: the ORM's bulk insert spent more than the database on these rows.
            session.execute(
                insert(Identifier.__table__),
                [
                    {
                        "shop_id": shop.id,
                        "customer_id": cid,
                        "type": kind,
                        "value": value,
                        "display": s[0],
                        "first_seen": s[1],
                        "last_seen": s[2],
                        "first_order_id": s[3],
                        "source": s[4],
                    }
                    for (cid, kind, value), s in found.items()
                ],
            )
        added += len(found)
        updated += len(changes)
        clusters += relink_customers(session, shop.id, types=link_types(shop))
    session.flush()
    return ReindexResult(orders, added, updated, clusters)
