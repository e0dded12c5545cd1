"""Reading customers, their identifiers, their links and their timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.errors import NotFound
from storeguard.core.models import AuditEvent
from storeguard.core.pages import fetch_page
from storeguard.customers.enums import CustomerErrorCode
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import LinkPath, cluster_of, link_paths
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
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Customer], int]:
    """Return a page of customers matching the filters, and how many match in all."""
    stmt = select(Customer)
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
    """A customer's cluster and the path to each linked customer."""

    customer_id: int
    cluster: list[int]
    link_types: list[str]
    paths: dict[int, LinkPath]


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
    return Links(customer.id, cluster, types, paths)


def timeline(session: Session, customer_id: int) -> list[AuditEvent]:
    """Return everything recorded about a customer, oldest first: created, blocked, lifted, ..."""
    return events_for(session, "customer", customer_id)
