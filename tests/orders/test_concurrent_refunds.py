"""Refunds racing on one order: the order row lock lets exactly as many through as were captured."""

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict
from storeguard.orders import policy
from storeguard.orders.actions import refund_order
from storeguard.orders.models import Order, Refund
from tests.factories import make_order, make_product, make_shop

AGENT = Actor("api_key", "agent-ann", Role.agent)
THREADS = 20


def test_twenty_concurrent_ten_percent_refunds_let_exactly_ten_through(backend, committing_engine):
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers itself")
    with Session(committing_engine) as setup:
        shop = make_shop(setup)
        order = make_order(setup, shop, lines=[(make_product(setup, shop, price=10_000), 1)], fee=290)
        setup.commit()
        order_id = order.id

    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    guard = threading.Lock()

    def refund_ten_percent() -> None:
        with Session(committing_engine) as session:
            start.wait()
            try:
                refund_order(session, order_id=order_id, actor=AGENT, amount=1_000, reason="race")
                session.commit()
                outcome = "refunded"
            except Conflict as exc:
                session.rollback()
                outcome = exc.code
        with guard:
            outcomes.append(outcome)

    threads = [threading.Thread(target=refund_ten_percent) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["refund_exceeds_captured"] * 10 + ["refunded"] * 10
    with Session(committing_engine) as check:
        order = check.scalars(select(Order).where(Order.id == order_id)).one()
        money = policy.ledger(order)
        assert (money.captured, money.refunded, money.fees, money.net) == (10_000, 10_000, 290, -290)
        assert len(check.scalars(select(Refund).where(Refund.order_id == order_id)).all()) == 10
