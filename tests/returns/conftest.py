"""A shipped order to return: two shirts and a mug, paid, shipped on 1 December 2026."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.orders.fulfillments import fulfill_order
from storeguard.orders.models import Order
from storeguard.shops.models import Product, Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_product, make_shop, place_order

SHIPPED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _photos_in_tmp(tmp_path, monkeypatch):
    from storeguard.core.config import get_settings

    monkeypatch.setattr(get_settings(), "return_photos_dir", tmp_path / "photos")


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, currency="NOK", country="NO")


@pytest.fixture
def shirt(session: Session, shop: Shop) -> Product:
    return make_product(
        session, shop, sku="SHIRT", title="Linen shirt", price=50_000, stock=10, category="apparel"
    )


@pytest.fixture
def swimsuit(session: Session, shop: Shop) -> Product:
    return make_product(
        session, shop, sku="SWIM", title="Swimsuit", price=30_000, stock=10, category="swimwear"
    )


@pytest.fixture
def shipped(session: Session, shop: Shop, shirt: Product, swimsuit: Product) -> Order:
    """Two shirts and a swimsuit, paid 130,000 øre, shipped on 1 December."""
    customer = make_customer(session, shop)
    with frozen(SHIPPED):
        order = place_order(session, shop, [(shirt, 2), (swimsuit, 1)], customer=customer)
        fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
    session.flush()
    return order


def line_of(order: Order, product: Product) -> int:
    return next(li.id for li in order.line_items if li.product_id == product.id)
