"""Helpers for screening tests: a small shop with a blocked customer and a limited-edition product."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.identifiers import record_order_identifiers
from storeguard.customers.models import Customer
from storeguard.lists.actions import create_entry
from storeguard.orders.models import Order
from storeguard.screening.inputs import LineInput, OrderInput
from storeguard.shops.models import Product, Shop
from tests.factories import make_customer, make_order, make_product, make_shop

OWNER = Actor("api_key", "test-owner", Role.owner)
ADDRESS = {
    "name": "Kari Nordmann",
    "address1": "Storgata 1",
    "city": "Oslo",
    "zip": "0155",
    "country_code": "NO",
}


@dataclass
class Store:
    shop: Shop
    shirt: Product
    sneaker: Product  # limited edition, high value


def make_store(session: Session) -> Store:
    shop = make_shop(session, currency="NOK", country="NO")
    shirt = make_product(
        session, shop, sku="SHIRT", price=30000, category="apparel", options={"size": ["S", "M", "L"]}
    )
    sneaker = make_product(
        session,
        shop,
        sku="LE-SNEAKER",
        price=250000,
        category="shoes",
        limited_edition=True,
        high_value=True,
        tags=["drop"],
    )
    return Store(shop, shirt, sneaker)


def past_order(session: Session, store: Store, customer: Customer | None, **kw: Any) -> Order:
    """Place a past order and record its identifiers, as the order pipeline would."""
    kw.setdefault("shipping_address", ADDRESS)
    kw.setdefault("billing_address", ADDRESS)
    order = make_order(
        session, store.shop, customer=customer, lines=kw.pop("lines", [(store.shirt, 1)]), **kw
    )
    record_order_identifiers(session, order)
    return order


def block_customer(
    session: Session, store: Store, customer: Customer, evidence_order: Order, **kw: Any
) -> int:
    """Put a block entry on a customer and return its id."""
    entry, _ = create_entry(
        session,
        shop_id=store.shop.id,
        type="customer",
        value=customer.id,
        actor=OWNER,
        reason_code="fraud",
        evidence={"order_ids": [evidence_order.id]},
        **kw,
    )
    return entry.id


def checkout(store: Store, *lines: tuple[Product, int, dict[str, str]], **kw: Any) -> OrderInput:
    """Describe a prospective order."""
    items = [
        LineInput(
            index=i,
            product_id=p.id,
            sku=p.sku,
            title=p.title,
            quantity=q,
            unit_price=p.price,
            variant=v,
            category=p.category,
            tags=list(p.tags),
            high_value=p.high_value,
            limited_edition=p.limited_edition,
        )
        for i, (p, q, v) in enumerate(lines or [(store.shirt, 1, {})])
    ]
    subtotal = sum(li.unit_price * li.quantity for li in items)
    kw.setdefault("shipping_address", ADDRESS)
    kw.setdefault("billing_address", ADDRESS)
    shipping = kw.pop("shipping", 0)
    return OrderInput(
        shop_id=store.shop.id,
        currency=store.shop.currency,
        subtotal=subtotal,
        shipping=shipping,
        total=subtotal + shipping - kw.get("discount", 0),
        lines=items,
        **kw,
    )


def new_customer(session: Session, store: Store, **kw: Any) -> Customer:
    return make_customer(session, store.shop, **kw)
