"""Changing customers: create one, add an identifier, choose what links. Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Invalid, NotFound
from storeguard.customers.clusters import relink_customers
from storeguard.customers.enums import CustomerErrorCode, IdentifierType, LinkStrength
from storeguard.customers.identifiers import add_identifier, record_customer_identifiers
from storeguard.customers.models import Customer, Identifier
from storeguard.customers.normalize import normalize_email, normalize_phone
from storeguard.customers.policy import link_strength
from storeguard.shops.service import get_shop


def lock_customer(session: Session, customer_id: int) -> Customer:
    """Lock a customer's row for a change of its state (a block, an erasure) and return it.

    ``FOR NO KEY UPDATE``, as every row lock here: rows that only refer to the customer (its
    orders, risk marks, profile, identifiers) are still written by other transactions meanwhile,
    so a block and a refund of the customer's order never wait on each other in a circle.
    """
    customer = session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update(key_share=True)
    )
    if customer is None:
        raise NotFound(CustomerErrorCode.customer_not_found, f"no customer {customer_id}")
    return customer


def create_customer(
    session: Session,
    *,
    shop_id: int,
    actor: Actor,
    email: str | None = None,
    phone: str | None = None,
    first_name: str = "",
    last_name: str = "",
    locale: str = "en",
    platform_id: str | None = None,
    note: str | None = None,
) -> Customer:
    """Create a customer and record the identifiers on the record (an unreadable email or phone is 422)."""
    shop = get_shop(session, shop_id)
    if email:
        normalize_email(email)
    if phone:
        normalize_phone(phone, default_region=shop.country)
    customer = Customer(
        shop_id=shop.id,
        email=(email or "").strip() or None,
        phone=(phone or "").strip() or None,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        locale=locale or "en",
        platform_id=platform_id,
        note=note,
        created_at=now(),
    )
    session.add(customer)
    session.flush()
    record_customer_identifiers(session, customer)
    record_event(
        session,
        actor=actor,
        action="customer.created",
        subject_type="customer",
        subject_id=customer.id,
        after={"email": customer.email, "phone": customer.phone, "name": customer.name},
    )
    return customer


def customer_for_contact(
    session: Session, *, shop_id: int, actor: Actor, email: str | None, phone: str | None
) -> Customer | None:
    """Return the shop's customer who has used this email (else this phone), creating one if none has.

    The same match a mirrored order gets from its platform's customer, for an order that names only
    how to reach the buyer: by the normalized identifier, so ``Kari.N+shop@gmail.com`` finds the
    customer who used ``karin@gmail.com``. None when the order gives neither.
    """
    shop = get_shop(session, shop_id)
    wanted = []
    if email:
        wanted.append((IdentifierType.email, normalize_email(email)))
    if phone:
        wanted.append((IdentifierType.phone, normalize_phone(phone, default_region=shop.country)))
    for kind, value in wanted:
        found = session.scalar(
            select(Identifier.customer_id)
            .where(Identifier.shop_id == shop.id, Identifier.type == kind, Identifier.value == value)
            .order_by(Identifier.customer_id)
            .limit(1)
        )
        if found is not None:
            return session.get(Customer, found)
    if not wanted:
        return None
    return create_customer(session, shop_id=shop.id, actor=actor, email=email, phone=phone)


def add_customer_identifier(
    session: Session, *, customer: Customer, type: str, value: Any, actor: Actor
) -> Identifier:
    """Add an identifier a person found for this customer, and link the customer through it."""
    identifier = add_identifier(session, customer, type, value)
    record_event(
        session,
        actor=actor,
        action="customer.identifier_added",
        subject_type="customer",
        subject_id=customer.id,
        after={"type": identifier.type, "value": identifier.value},
    )
    return identifier


def check_link_types(types: Iterable[str]) -> list[str]:
    """Return the identifier types without repeats, or refuse one unknown or too weak to link."""
    try:
        chosen = [IdentifierType(t).value for t in dict.fromkeys(types)]
    except ValueError as exc:
        raise Invalid(CustomerErrorCode.invalid_link_types, f"{exc.args[0]}", field="types") from None
    if IdentifierType.email_domain.value in chosen:
        raise Invalid(
            CustomerErrorCode.invalid_link_types,
            "an email domain is shared by strangers (gmail.com) and cannot link customers",
            field="types",
        )
    weak = [t for t in chosen if link_strength(t) is not LinkStrength.strong]
    if weak:
        raise Invalid(
            CustomerErrorCode.weak_link_type,
            f"{weak[0]} is shared by strangers: it shows possible matches but cannot link customers",
            field="types",
            value=weak[0],
        )
    return chosen


def set_link_types(session: Session, *, shop_id: int, types: Iterable[str], actor: Actor) -> list[str]:
    """Choose which identifier types link customers in a shop, and rebuild the clusters to match."""
    shop = get_shop(session, shop_id)
    chosen = check_link_types(types)
    before = (shop.settings or {}).get("link_identifier_types")
    shop.settings = {**(shop.settings or {}), "link_identifier_types": chosen}
    session.flush()
    relink_customers(session, shop.id, types=tuple(IdentifierType(t) for t in chosen))
    record_event(
        session,
        actor=actor,
        action="shop.link_types_changed",
        subject_type="shop",
        subject_id=shop.id,
        before={"link_identifier_types": before},
        after={"link_identifier_types": chosen},
    )
    return chosen
