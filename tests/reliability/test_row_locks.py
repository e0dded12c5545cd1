"""A change that locks a row leaves the rows that only refer to it free to be written.

A block locked the customer ``FOR UPDATE``; a refund of one of the customer's orders, written
meanwhile, marks the customer's risk stale with a new row that refers to the customer, so
PostgreSQL made the refund wait for the customer's lock while the block waited
for the refund's risk mark: a deadlock, answered 500. Every row lock is now ``FOR NO KEY
UPDATE``, which a row referring to the locked one does not wait for.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.actions import lock_customer
from storeguard.lists.blocking import block_customer
from storeguard.lists.models import CustomerBlock
from storeguard.orders.actions import refund_order
from storeguard.orders.models import Refund
from storeguard.risk.freshness import refresh_all_stale
from tests.factories import make_customer, make_order, make_product, make_shop

AGENT = Actor("api_key", "agent-ann", Role.agent)


def test_a_refund_of_a_customers_order_does_not_wait_for_a_block_holding_the_customer(
    backend, committing_engine
):
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers itself")
    with Session(committing_engine) as setup:
        shop = make_shop(setup)
        customer = make_customer(setup, shop)
        order = make_order(
            setup, shop, customer=customer, lines=[(make_product(setup, shop, price=10_000), 1)]
        )
        setup.commit()
        customer_id, order_id = customer.id, order.id
        # The background pass has reassessed the customer: the refund writes a new risk mark.
        refresh_all_stale(setup)

    with Session(committing_engine) as blocking:
        lock_customer(blocking, customer_id)
        with Session(committing_engine) as refunding:
            # Waiting at all for the block's lock is the failure: it fails in 2 s instead of hanging.
            refunding.execute(text("SET LOCAL lock_timeout = '2s'"))
            refund_order(refunding, order_id=order_id, actor=AGENT, amount=1_000, reason="goodwill")
            refunding.commit()
        block_customer(
            blocking,
            customer_id=customer_id,
            actor=AGENT,
            reason_code="chargeback_abuse",
            evidence={"order_ids": [order_id]},
        )
        blocking.commit()

    with Session(committing_engine) as check:
        refunds = check.scalars(select(Refund.amount).where(Refund.order_id == order_id)).all()
        blocks = check.scalar(
            select(func.count()).select_from(CustomerBlock).where(CustomerBlock.customer_id == customer_id)
        )
    assert (refunds, blocks) == ([1_000], 1)
