"""Migration 0028 fills every existing customer's profile with what screening aggregated."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.db import make_engine
from storeguard.core.migrations import alembic_config, upgrade_to_head
from storeguard.orders.actions import cancel_order
from storeguard.orders.payments import RefundLineSpec, refund_order
from storeguard.screening.models import CustomerProfile
from storeguard.screening.profiles import verify_profiles
from tests.factories import make_customer, make_dispute, make_order, make_product, make_shop, place_order
from tests.screening.test_profiles import STAFF


def test_the_migration_fills_profiles_that_agree_with_history(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            shop = make_shop(s)
            product = make_product(s, shop, price=2000)
            buyer, quiet, disputer = (make_customer(s, shop) for _ in range(3))
            kept = place_order(s, shop, [(product, 3)], customer=buyer)
            gone = place_order(s, shop, [(product, 1)], customer=buyer)
            line = kept.line_items[0]
            refund_order(
                s, order_id=kept.id, actor=STAFF, lines=[RefundLineSpec(line.id, 1, True)], returned=True
            )
            cancel_order(
                s,
                order_id=gone.id,
                actor=STAFF,
                reason="customer",
                refund=True,
                restock=True,
                notify_customer=False,
            )
            make_dispute(s, make_order(s, shop, customer=disputer, lines=[(product, 1)]), status="lost")
            make_order(s, shop, customer=disputer, lines=[(product, 2)], tags=["chargeback"])
            make_dispute(
                s, make_order(s, shop, customer=disputer, lines=[(product, 1)]), status="warning_closed"
            )
            s.commit()
            ids = (buyer.id, quiet.id, disputer.id)
        config = alembic_config(empty_database_url)
        command.downgrade(config, "0026")  # before line properties and profiles, with refunded lines
        command.upgrade(config, "head")
        with Session(engine) as s:
            rows = {
                r.customer_id: (r.orders_count, r.total_spent, r.cancellations, r.chargebacks)
                + (r.refunds_count, r.refunded_amount, r.items_bought, r.items_returned)
                for r in s.scalars(select(CustomerProfile))
            }
            wrong = verify_profiles(s)
            count = s.scalar(select(func.count()).select_from(CustomerProfile))
    finally:
        engine.dispose()
    assert wrong == []
    assert count == 3
    assert rows[ids[0]] == (2, 6000, 1, 0, 1, 2000, 3, 1)
    assert rows[ids[1]] == (0,) * 8
    assert rows[ids[2]] == (3, 8000, 0, 2, 0, 0, 4, 0)
