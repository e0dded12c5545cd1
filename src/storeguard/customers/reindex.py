"""Rebuilding identifiers and link clusters in bulk, for a database that already holds orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.customers.enums import IdentifierSource, IdentifierType
from storeguard.customers.identifiers import identifiers_of_customer, identifiers_of_order, link_types
from storeguard.customers.models import Customer, Identifier


@dataclass(frozen=True, slots=True)
class ReindexResult:
    """What a reindex did: orders read, identifiers added and updated, clusters that hold 2+ customers."""

    orders: int
    identifiers_added: int
    identifiers_updated: int
    linked_clusters: int


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the smaller id is the root, so the root is the cluster id
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


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
    from storeguard.orders.models import Order
    from storeguard.shops.models import Shop

    shops = session.scalars(select(Shop).where(Shop.id == shop_id) if shop_id else select(Shop)).all()
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


def relink_customers(session: Session, shop_id: int, *, types: tuple[IdentifierType, ...]) -> int:
    """Recompute every customer's cluster from shared identifiers of ``types``; return multi-member clusters.

    Union-find on insert only ever merges; this rebuild is what splits clusters when the merchant
    stops linking on a type.
    """
    uf = _UnionFind()
    holder: dict[tuple[str, str], int] = {}
    rows = session.execute(
        select(Identifier.customer_id, Identifier.type, Identifier.value).where(
            Identifier.shop_id == shop_id, Identifier.type.in_([t.value for t in types])
        )
    )
    for customer_id, kind, value in rows:
        first = holder.setdefault((kind, value), customer_id)
        uf.union(first, customer_id)
    current = session.execute(
        select(Customer.id, Customer.cluster_id).where(Customer.shop_id == shop_id)
    ).all()
    changes = []
    members: dict[int, int] = {}
    for customer_id, cluster_id in current:
        root = uf.find(customer_id)
        members[root] = members.get(root, 0) + 1
        if cluster_id != root:
            changes.append({"id": customer_id, "cluster_id": root})
    if changes:
        session.execute(update(Customer), changes)
        session.expire_all()
    return sum(1 for n in members.values() if n > 1)
