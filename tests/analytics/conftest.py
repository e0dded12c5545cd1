"""A small store in May 2026: Kari (blocked) returns hoodies, Ola and Per are everyone else.

Kari: order A, two hoodies, both returned; screening blocked it.
Ola: order B, a hoodie (a fraud dispute, won); order C, a scarf refunded as damaged after a hold a
reviewer approved.
Per: order D, a hoodie returned; a not-received dispute, lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from storeguard.core.clock import frozen
from storeguard.customers.models import Customer
from storeguard.lists.blocking import block_customer
from storeguard.orders.models import Order, Refund, RefundLine
from storeguard.screening.models import Decision
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_dispute, make_order, make_product, make_shop

MAY = datetime(2026, 5, 10, 12, tzinfo=UTC)
PERIOD = {"since": "2026-05-01", "until": "2026-05-31"}


@dataclass
class Store:
    shop: Shop
    kari: Customer
    ola: Customer
    per: Customer
    a: Order
    b: Order
    c: Order
    d: Order


def _at(day: int) -> datetime:
    return MAY.replace(day=day)


def _refund(
    session, order: Order, amount: int, reason: str, quantity: int, *, returned: bool, day: int
) -> None:
    line = order.line_items[0]
    session.add(
        Refund(
            order_id=order.id,
            amount=amount,
            currency=order.currency,
            reason=reason,
            actor="test",
            expected_arrival_from=date(2026, 5, day),
            expected_arrival_to=date(2026, 5, day),
            created_at=_at(day),
            lines=[
                RefundLine(
                    line_item_id=line.id,
                    quantity=quantity,
                    amount=amount,
                    returned=returned,
                    restock=returned,
                )
            ],
        )
    )


def _decision(session, order: Order, outcome: str, codes: list[str]) -> None:
    session.add(
        Decision(
            shop_id=order.shop_id,
            order_id=order.id,
            customer_id=order.customer_id,
            decision=outcome,
            score=0,
            reasons=[{"code": c, "message": c, "source": "signal"} for c in codes],
            policy_version=1,
            duration_us=100,
            created_at=order.created_at,
        )
    )


@pytest.fixture
def store(session) -> Store:
    shop = make_shop(session, currency="NOK", country="NO")
    hoodie = make_product(session, shop, title="Hoodie", category="apparel", price=50_000)
    scarf = make_product(session, shop, title="Scarf", category="accessories", price=20_000)
    kari, ola, per = (
        make_customer(session, shop, first_name=n, created_at=_at(1)) for n in ("Kari", "Ola", "Per")
    )
    se, no = {"country_code": "SE"}, {"country_code": "NO"}
    a = make_order(
        session, shop, customer=kari, lines=[(hoodie, 2)], fee=100, shipping_address=se, created_at=_at(10)
    )
    b = make_order(
        session, shop, customer=ola, lines=[(hoodie, 1)], fee=50, shipping_address=no, created_at=_at(12)
    )
    c = make_order(
        session,
        shop,
        customer=ola,
        lines=[(scarf, 1)],
        fee=200,
        shipping_address=no,
        created_at=_at(12),
        held_at=_at(12),
    )
    d = make_order(
        session, shop, customer=per, lines=[(hoodie, 1)], fee=300, shipping_address=no, created_at=_at(20)
    )
    _refund(session, a, 100_000, "size", 2, returned=True, day=18)
    _refund(session, c, 20_000, "damaged", 1, returned=False, day=16)
    _refund(session, d, 50_000, "changed_mind", 1, returned=True, day=27)
    make_dispute(session, b, reason="fraudulent", status="won", opened_at=_at(14), outcome_at=_at(24))
    make_dispute(
        session, d, reason="product_not_received", status="lost", opened_at=_at(22), outcome_at=_at(28)
    )
    _decision(session, a, "block", ["list.customer"])
    _decision(session, c, "review", ["velocity.email"])
    _decision(session, d, "allow", ["velocity.email"])
    with frozen(_at(21)):
        block_customer(
            session,
            customer_id=kari.id,
            actor=FACTORY_ACTOR,
            reason_code="fraud",
            evidence={"order_ids": [a.id]},
            notify=False,
        )
    session.flush()
    return Store(shop, kari, ola, per, a, b, c, d)
