"""Link clusters: customers who share an identifier of a linking type are one cluster."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storeguard.customers.enums import IdentifierType
from storeguard.customers.models import Customer, Identifier


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


def clusters_by(session: Session, shop_id: int, *, types: tuple[IdentifierType, ...]) -> dict[int, int]:
    """Every customer of the shop and the cluster shared identifiers of ``types`` put them in (its
    smallest member's id; a customer alone is their own). Reads only: the policy replay asks what
    other link types would do with it, and ``relink_customers`` stores it."""
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
    return {
        cid: uf.find(cid) for cid in session.scalars(select(Customer.id).where(Customer.shop_id == shop_id))
    }


def relink_customers(session: Session, shop_id: int, *, types: tuple[IdentifierType, ...]) -> int:
    """Recompute every customer's cluster from shared identifiers of ``types``; return multi-member clusters.

    Union-find on insert only ever merges; this rebuild is what splits clusters when the merchant
    stops linking on a type.
    """
    roots = clusters_by(session, shop_id, types=types)
    current = session.execute(
        select(Customer.id, Customer.cluster_id).where(Customer.shop_id == shop_id)
    ).all()
    changes = []
    members: dict[int, int] = {}
    for customer_id, cluster_id in current:
        root = roots[customer_id]
        members[root] = members.get(root, 0) + 1
        if cluster_id != root:
            changes.append({"id": customer_id, "cluster_id": root})
    if changes:
        session.execute(update(Customer), changes)
        session.expire_all()
    return sum(1 for n in members.values() if n > 1)
