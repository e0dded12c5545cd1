"""A shop with one customer who returns often, for replaying stricter return thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.customers.models import Customer
from storeguard.orders.fulfillments import fulfill_order, mark_delivered
from storeguard.orders.payments import RefundLineSpec, refund_line_items
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_product, make_shop, place_order

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _orders(session: Session, shop: Shop, customer: Customer, count: int, returned: set[int]) -> None:
    """``count`` delivered orders 20 days apart; those numbered in ``returned`` sent back after 9 days."""
    shirt = make_product(session, shop, category="apparel", price=40_000)
    for i in range(count):
        at = T0 + timedelta(days=20 * i)
        with frozen(at):
            order = place_order(session, shop, [(shirt, 1)], customer=customer)
            fulfillment = fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
        with frozen(at + timedelta(days=1)):
            mark_delivered(session, fulfillment_id=fulfillment.id, actor=FACTORY_ACTOR)
        if i in returned:
            with frozen(at + timedelta(days=9)):
                refund_line_items(
                    session,
                    order_id=order.id,
                    actor=FACTORY_ACTOR,
                    lines=[RefundLineSpec(line.id, line.quantity, True) for line in order.line_items],
                    reason="size_too_large",
                )


def shop_with_a_frequent_returner(session: Session) -> tuple[Shop, Customer]:
    """Three customers who keep what they buy, and Rita, who sent back 4 of her 9 orders."""
    shop = make_shop(session)
    for _ in range(3):
        _orders(session, shop, make_customer(session, shop), 6, set())
    returner = make_customer(session, shop, first_name="Rita", last_name="Returns")
    _orders(session, shop, returner, 9, {0, 2, 4, 6})
    return shop, returner
