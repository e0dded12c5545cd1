"""Reading customers, their identifiers, their links and their timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.errors import NotFound
from storeguard.core.models import AuditEvent
from storeguard.core.pages import KeysetPage, fetch_keyset, fetch_page
from storeguard.customers.enums import CustomerErrorCode
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import LinkPath, cluster_of, link_paths, possible_matches
from storeguard.customers.models import Customer, Identifier
from storeguard.shops.service import get_shop


def get_customer(session: Session, customer_id: int) -> Customer:
    """Return a customer or 404."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(CustomerErrorCode.customer_not_found, f"no customer {customer_id}")
    return customer


def list_customers(
    session: Session,
    *,
    shop_id: int | None = None,
    email: str | None = None,
    state: str | None = None,
    q: str | None = None,
    cluster_id: int | None = None,
    picks: Sequence[ColumnElement[bool]] = (),
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Customer], int]:
    """Return a page of customers matching the filters, and how many match in all.

    ``picks`` are the clauses of filters other domains give the list (``customers.filters``).
    """
    stmt = select(Customer).where(*picks)
    if shop_id is not None:
        stmt = stmt.where(Customer.shop_id == shop_id)
    if email:
        stmt = stmt.where(func.lower(Customer.email) == email.strip().lower())
    if state:
        stmt = stmt.where(Customer.state == state)
    if cluster_id is not None:
        stmt = stmt.where(Customer.cluster_id == cluster_id)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.email).like(like),
                func.lower(Customer.first_name).like(like),
                func.lower(Customer.last_name).like(like),
                Customer.phone.like(like),
            )
        )
    return fetch_page(session, stmt, Customer.id, limit=limit, offset=offset)


CustomerKey = tuple[datetime, int]


def customer_page(
    session: Session,
    *,
    q: str | None = None,
    state: str | None = None,
    picks: Sequence[ColumnElement[bool]] = (),
    limit: int = 50,
    after: CustomerKey | None = None,
    before: CustomerKey | None = None,
) -> KeysetPage[Customer]:
    """Return customers, newest first, found by name, email, phone or number; a page by key, nothing counted.

    ``picks`` are the clauses of filters other domains give the list (``customers.filters``).
    """
    stmt = select(Customer).where(*picks)
    if state:
        stmt = stmt.where(Customer.state == state)
    text = (q or "").strip()
    if text.lstrip("#").isdigit() and len(text.lstrip("#")) < 19:
        stmt = stmt.where(Customer.id == int(text.lstrip("#")))
    elif text:
        like = f"%{text.lower().replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.email).like(like),
                func.lower(Customer.first_name).like(like),
                func.lower(Customer.last_name).like(like),
                func.lower(Customer.first_name + " " + Customer.last_name).like(like),
                Customer.phone.like(like),
            )
        )
    return fetch_keyset(
        session, stmt, (Customer.created_at, Customer.id), limit=limit, after=after, before=before
    )


def customer_key(customer: Customer) -> CustomerKey:
    """Return where a customer sits in the newest-first order of lists."""
    return customer.created_at, customer.id


def customers_by_id(session: Session, ids: list[int]) -> dict[int, Customer]:
    """Return the customers with these ids."""
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}


def identifiers_of(session: Session, customer_id: int) -> list[Identifier]:
    """Return a customer's identifiers, oldest first."""
    return list(
        session.scalars(
            select(Identifier)
            .where(Identifier.customer_id == customer_id)
            .order_by(Identifier.first_seen, Identifier.id)
        )
    )


@dataclass(frozen=True, slots=True)
class Links:
    """A customer's cluster and the path to each linked customer, and their possible matches.

    ``paths`` lead to the cluster, joined by strong links; ``possible`` to customers outside it who
    share only weak identifiers (an address under another name, a card's BIN and last four, an IP).
    """

    customer_id: int
    cluster: list[int]
    link_types: list[str]
    paths: dict[int, LinkPath]
    possible: dict[int, LinkPath]


def links_of(session: Session, customer: Customer) -> Links:
    """Return who the customer is linked to and, for each, which identifiers link them."""

    types = [t.value for t in link_types(get_shop(session, customer.shop_id))]
    cluster = cluster_of(session, customer.id)
    others = [c for c in cluster if c != customer.id]
    paths = (
        link_paths(
            session,
            shop_id=customer.shop_id,
            types=types,
            start_customer_id=customer.id,
            targets=others,
            max_hops=len(cluster),
        )
        if others
        else {}
    )
    possible = possible_matches(
        session, shop_id=customer.shop_id, start_customer_id=customer.id, exclude=cluster
    )
    return Links(customer.id, cluster, types, paths, possible)


def timeline(session: Session, customer_id: int) -> list[AuditEvent]:
    """Return everything recorded about a customer, oldest first: created, blocked, lifted, ..."""
    return events_for(session, "customer", customer_id)


# Who is under an active block is the lists' to say (lists import customers, not the other way):
# the lists register how to ask, as domains register their subjects with the audit log.
_BLOCKED_READERS: list[Callable[[Session, list[int]], set[int]]] = []


def register_blocked_reader(reader: Callable[[Session, list[int]], set[int]]) -> None:
    """Tell the customer pages how to find which customers are blocked."""
    if reader not in _BLOCKED_READERS:
        _BLOCKED_READERS.append(reader)


def blocked_among(session: Session, customer_ids: list[int]) -> set[int]:
    """Return which of these customers are under an active block."""
    found: set[int] = set()
    for reader in _BLOCKED_READERS:
        found |= reader(session, customer_ids)
    return found


def cluster_ids(session: Session, shop_id: int) -> dict[int, int | None]:
    """Every customer of the shop and the cluster their strong links put them in (None: alone)."""
    return dict(
        session.execute(select(Customer.id, Customer.cluster_id).where(Customer.shop_id == shop_id)).all()
    )
