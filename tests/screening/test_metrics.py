"""A customer's history in one aggregate query."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from storeguard.orders.models import Refund, RefundLine
from storeguard.screening.metrics import customer_metrics
from tests.factories import make_customer, make_dispute, make_order, make_product, make_shop


def test_customer_metrics_counts_orders_refunds_returns_cancellations_and_chargebacks(
    session: Session,
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    shirt = make_product(session, shop, price=10000)
    kept = make_order(session, shop, customer=customer, lines=[(shirt, 2)])
    returned = make_order(session, shop, customer=customer, lines=[(shirt, 2)], tags=["chargeback"])
    make_order(session, shop, customer=customer, lines=[(shirt, 1)], status="cancelled")
    line = returned.line_items[0]
    line.refunded_quantity = line.restocked_quantity = 1
    refund = Refund(
        order_id=returned.id,
        amount=10000,
        currency="USD",
        actor="test",
        expected_arrival_from=date(2025, 1, 1),
        expected_arrival_to=date(2025, 1, 8),
    )
    refund.lines = [RefundLine(line_item_id=line.id, quantity=1, amount=10000, restock=True, returned=True)]
    session.add(refund)
    session.flush()

    m = customer_metrics(session, customer.id)

    assert (m.orders_count, m.total_spent, m.cancellations, m.chargebacks) == (3, 40000, 1, 1)
    assert (m.refunds_count, m.refunded_amount, m.refund_ratio) == (1, 10000, 0.25)
    assert (m.items_bought, m.items_returned, m.return_ratio) == (4, 1, 0.25)
    assert customer_metrics(session, customer.id, exclude_order_id=kept.id).orders_count == 2


def test_customer_metrics_of_a_new_customer_are_zero(session: Session) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    m = customer_metrics(session, customer.id)
    assert (m.orders_count, m.total_spent, m.refund_ratio, m.return_ratio) == (0, 0, 0.0, 0.0)
    assert customer_metrics(session, None).orders_count == 0


def test_customer_metrics_count_a_disputed_order_as_a_chargeback_whatever_came_of_it(
    session: Session,
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    for status in ("needs_response", "won", "lost"):
        make_dispute(session, make_order(session, shop, customer=customer), status=status)
    disputed_twice = make_order(session, shop, customer=customer, tags=["chargeback"])
    make_dispute(session, disputed_twice)
    make_dispute(session, disputed_twice, status="accepted")
    assert customer_metrics(session, customer.id).chargebacks == 4


def test_customer_metrics_do_not_count_an_inquiry_as_a_chargeback(session: Session) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    make_dispute(session, make_order(session, shop, customer=customer), status="warning_needs_response")
    make_dispute(session, make_order(session, shop, customer=customer), status="warning_closed")
    assert customer_metrics(session, customer.id).chargebacks == 0
