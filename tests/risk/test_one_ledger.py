"""One definition of loss: the risk summary, the customer page, the dashboard's month and the
losses report all count a customer's cost from the true-loss ledger, and agree to the øre.

Tove, in June 2026: a scarf refunded as damaged and never sent back (20,000 + fee 200); a hoodie
charged back and lost (50,000 + the shop's dispute fee 15,000 + fee 300); a hoodie returned with a
restocking fee of 5,000 kept, on a label the shop paid 4,000 for (fee 100). True loss: 84,600.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storeguard.analytics.service import losses, resolve_period
from storeguard.core.clock import frozen
from storeguard.core.permissions import Role
from storeguard.orders.models import Order, Refund, RefundLine
from storeguard.returns.models import Return
from storeguard.risk.ledger import customer_ledger, ledgers_by, order_ledgers, period_ledger, total
from storeguard.risk.service import assess_customer
from storeguard.shops.models import Shop
from tests.factories import make_customer, make_dispute, make_order, make_product, make_shop

JUNE = datetime(2026, 6, 5, 12, tzinfo=UTC)
LOSS = 20_200 + 65_300 + (100 + 4_000 - 5_000)


def _refund(session, order, amount, reason, *, returned):
    session.add(
        Refund(
            order_id=order.id,
            amount=amount,
            currency=order.currency,
            reason=reason,
            actor="test",
            expected_arrival_from=date(2026, 6, 9),
            expected_arrival_to=date(2026, 6, 9),
            created_at=JUNE.replace(day=9),
            lines=[
                RefundLine(
                    line_item_id=order.line_items[0].id,
                    quantity=1,
                    amount=amount,
                    returned=returned,
                    restock=returned,
                )
            ],
        )
    )


@pytest.fixture
def tove(session):
    shop = make_shop(
        session, currency="NOK", country="NO", settings={"dispute_fee": 15_000, "return_label_cost": 4_000}
    )
    hoodie = make_product(session, shop, title="Hoodie", category="apparel", price=50_000)
    scarf = make_product(session, shop, title="Scarf", category="accessories", price=20_000)
    tove = make_customer(session, shop, first_name="Tove", created_at=JUNE.replace(day=1))
    kept = make_order(session, shop, customer=tove, lines=[(scarf, 1)], fee=200, created_at=JUNE)
    charged_back = make_order(session, shop, customer=tove, lines=[(hoodie, 1)], fee=300, created_at=JUNE)
    returned = make_order(session, shop, customer=tove, lines=[(hoodie, 1)], fee=100, created_at=JUNE)
    _refund(session, kept, 20_000, "damaged", returned=False)
    make_dispute(session, charged_back, reason="fraudulent", status="lost", opened_at=JUNE.replace(day=8))
    _refund(session, returned, 45_000, "size", returned=True)
    session.add(
        Return(
            shop_id=shop.id,
            order_id=returned.id,
            customer_id=tove.id,
            status="partly_refunded",
            reason="size",
            currency="NOK",
            fee=5_000,
            refunded=45_000,
        )
    )
    session.flush()
    return tove


def test_the_ledger_counts_a_kept_refund_a_lost_chargeback_with_fee_and_a_restocking_fee(session, tove):
    whole, _ = customer_ledger(session, session.get(Shop, tove.shop_id), tove.id)

    assert whole.as_dict() == {
        "captured": 120_000,
        "refunded": 65_000,
        "fees_not_returned": 600,
        "chargebacks": 50_000,
        "dispute_fees": 15_000,
        "return_shipping": 4_000,
        "restocking_fees_kept": 5_000,
        "goods_not_returned": 20_000,
        "true_loss": LOSS,
    }


def test_risks_cost_to_the_shop_is_the_ledgers_true_loss(session, tove):
    assert assess_customer(session, tove.id).summary.true_loss == LOSS == 84_600


def test_the_months_ledger_and_the_losses_report_count_the_same_loss(session, tove):
    with frozen(JUNE.replace(day=30)):
        period = resolve_period(session, tove.shop_id, date(2026, 6, 1), date(2026, 6, 30))
        report = losses(session, period)

    month = period_ledger(
        session,
        session.get(Shop, tove.shop_id),
        JUNE.replace(day=1, hour=0),
        JUNE.replace(month=7, day=1, hour=0),
    )
    assert (month.true_loss, report.total.suffered, [m.suffered for m in report.months]) == (
        LOSS,
        LOSS,
        [LOSS],
    )


def test_the_losses_api_reports_the_ledgers_parts(client, auth, session, tove):
    answer = client.get(
        "/v1/analytics/losses",
        params={"since": "2026-06-01", "until": "2026-06-30", "shop_id": tove.shop_id},
        headers=auth(Role.viewer),
    ).json()

    [june] = answer["months"]
    assert {
        k: june[k]
        for k in (
            "chargebacks",
            "dispute_fees",
            "refunds_without_return",
            "fees",
            "return_shipping",
            "restocking_fees_kept",
            "suffered",
        )
    } == {
        "chargebacks": 50_000,
        "dispute_fees": 15_000,
        "refunds_without_return": 20_000,
        "fees": 600,
        "return_shipping": 4_000,
        "restocking_fees_kept": 5_000,
        "suffered": LOSS,
    }


def test_the_customer_page_shows_one_cost_in_the_risk_panel_and_the_ledger(client, login, tove):
    login("viewer")

    page = client.get(f"/customers/{tove.id}").text.replace("\xa0", " ")

    assert page.count("NOK 846.00") == 2


def test_ledgers_summed_by_customer_equal_the_sum_of_each_orders_ledger(session, tove):
    shop = session.get(Shop, tove.shop_id)
    per_order = order_ledgers(session, shop, Order.customer_id == tove.id)

    by_customer = ledgers_by(session, shop, Order.customer_id, Order.customer_id == tove.id)

    assert list(by_customer) == [tove.id]
    assert by_customer[tove.id].as_dict() == total(per_order).as_dict()
    # the returned hoodie: fee 100 + label 4,000 - restocking 5,000; the scarf: 20,000 + fee 200;
    # the charged-back hoodie: 50,000 + dispute fee 15,000 + fee 300
    assert sorted(one.true_loss for one in per_order.values()) == [-900, 20_200, 65_300]
