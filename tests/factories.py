"""Small factories that build and flush rows (never commit)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.models import Customer
from storeguard.disputes.models import Dispute
from storeguard.orders.enums import FinancialStatus, TransactionKind
from storeguard.orders.models import LineItem, Order, Transaction
from storeguard.shops.models import Product, Shop
from storeguard.staff.actions import create_staff_user
from storeguard.staff.models import StaffUser

_seq = itertools.count(1)
FACTORY_ACTOR = Actor("api_key", "factory", Role.owner)


def make_shop(session: Session, **kw: Any) -> Shop:
    n = next(_seq)
    shop = Shop(
        name=kw.pop("name", f"Shop {n}"),
        domain=kw.pop("domain", f"shop-{n}.myshopify.com"),
        platform=kw.pop("platform", "shopify"),
        currency=kw.pop("currency", "USD"),
        country=kw.pop("country", "US"),
        **kw,
    )
    session.add(shop)
    session.flush()
    return shop


def make_product(session: Session, shop: Shop, **kw: Any) -> Product:
    n = next(_seq)
    product = Product(
        shop_id=shop.id,
        sku=kw.pop("sku", f"SKU-{n}"),
        title=kw.pop("title", f"Product {n}"),
        category=kw.pop("category", "apparel"),
        tags=kw.pop("tags", []),
        price=kw.pop("price", 5000),
        stock=kw.pop("stock", 100),
        **kw,
    )
    session.add(product)
    session.flush()
    return product


def make_customer(session: Session, shop: Shop, **kw: Any) -> Customer:
    n = next(_seq)
    customer = Customer(
        shop_id=shop.id,
        email=kw.pop("email", f"customer{n}@example.com"),
        first_name=kw.pop("first_name", "Kari"),
        last_name=kw.pop("last_name", f"Nordmann{n}"),
        **kw,
    )
    session.add(customer)
    session.flush()
    return customer


def make_order(
    session: Session,
    shop: Shop,
    *,
    customer: Customer | None = None,
    lines: list[tuple[Product, int]] | None = None,
    shipping: int = 0,
    paid: bool = True,
    fee: int = 0,
    authorized: bool = False,
    **kw: Any,
) -> Order:
    """Build an order; ``paid`` captures the whole total in one sale transaction.

    ``authorized`` (with ``paid=False``) holds the total in an uncaptured authorization instead.
    Stock is not touched: use ``place_order`` for an order that goes through ``create_order``.
    """
    n = next(_seq)
    lines = lines or [(make_product(session, shop), 1)]
    items = [
        LineItem(product_id=p.id, sku=p.sku, title=p.title, quantity=q, unit_price=p.price) for p, q in lines
    ]
    subtotal = sum(i.unit_price * i.quantity for i in items)
    order = Order(
        shop_id=shop.id,
        customer_id=customer.id if customer else None,
        email=customer.email if customer else kw.pop("email", None),
        number=kw.pop("number", f"#{1000 + n}"),
        currency=shop.currency,
        subtotal=subtotal,
        shipping=shipping,
        total=subtotal + shipping,
        line_items=items,
        financial_status=(
            FinancialStatus.paid
            if paid
            else FinancialStatus.authorized
            if authorized
            else FinancialStatus.pending
        ),
        **kw,
    )
    session.add(order)
    session.flush()
    if paid:
        session.add(
            Transaction(
                order_id=order.id,
                kind=TransactionKind.sale,
                amount=order.total,
                fee=fee,
                currency=order.currency,
                gateway="stripe",
            )
        )
        session.flush()
    elif authorized:
        session.add(
            Transaction(
                order_id=order.id,
                kind=TransactionKind.authorization,
                amount=order.total,
                currency=order.currency,
                gateway="stripe",
            )
        )
        session.flush()
    session.expire(order, ["transactions"])
    return order


def make_dispute(session: Session, order: Order, **kw: Any) -> Dispute:
    """Open a gateway dispute on an order (needs_response, opened now unless told)."""
    n = next(_seq)
    dispute = Dispute(
        gateway=kw.pop("gateway", "stripe"),
        gateway_dispute_id=kw.pop("gateway_dispute_id", f"dp_{n}"),
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
        amount=kw.pop("amount", order.total),
        currency=order.currency,
        status=kw.pop("status", "needs_response"),
        **kw,
    )
    session.add(dispute)
    session.flush()
    return dispute


def place_order(
    session: Session,
    shop: Shop,
    lines: list[tuple[Product, int]],
    *,
    payment: str | None = "sale",
    fee: int = 0,
    shipping: int = 0,
    customer: Customer | None = None,
    email: str | None = "kari@example.com",
    actor: Actor | None = None,
    **kw: Any,
) -> Order:
    """Create an order through ``create_order`` (stock goes down, events are recorded)."""
    from storeguard.orders.actions import create_order
    from storeguard.orders.schemas import OrderCreate

    data = OrderCreate(
        shop_id=shop.id,
        customer_id=customer.id if customer else None,
        currency=shop.currency,
        email=customer.email if customer else email,
        lines=[{"product_id": p.id, "quantity": q} for p, q in lines],
        shipping=shipping,
        payment={"kind": payment, "fee": fee, "gateway": "stripe"} if payment else None,  # fee: sale only
        **kw,
    )
    return create_order(session, actor=actor or FACTORY_ACTOR, data=data)


STAFF_PASSWORD = "correct horse battery"


def make_staff_user(session: Session, role: Role | str = Role.agent, **kw: Any) -> StaffUser:
    """A staff user whose password is ``STAFF_PASSWORD`` unless given."""
    n = next(_seq)
    return create_staff_user(
        session,
        email=kw.pop("email", f"staff{n}@example.com"),
        name=kw.pop("name", f"Staff {n}"),
        role=role,
        password=kw.pop("password", STAFF_PASSWORD),
        locale=kw.pop("locale", "en"),
        actor=FACTORY_ACTOR,
    )
