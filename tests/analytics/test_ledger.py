"""The true-loss ledger: per order, per customer on their page, per month on the dashboard."""

from __future__ import annotations

from storeguard.core.clock import frozen
from storeguard.orders.models import Order
from storeguard.risk.ledger import customer_ledger, order_ledgers, period_ledger
from tests.analytics.conftest import MAY


def test_a_refund_with_nothing_sent_back_costs_the_goods_and_the_fee(session, store):
    ledgers = order_ledgers(session, store.shop, Order.id == store.c.id)

    assert ledgers[store.c.id].as_dict() == {
        "captured": 20_000,
        "refunded": 20_000,
        "fees_not_returned": 200,
        "chargebacks": 0,
        "dispute_fees": 0,
        "return_shipping": 0,
        "restocking_fees_kept": 0,
        "goods_not_returned": 20_000,
        "true_loss": 20_200,
    }


def test_a_lost_chargeback_costs_its_amount_the_fee_and_the_shops_dispute_fee(session, store):
    store.shop.settings = {"dispute_fee": 15_000}

    ledger = order_ledgers(session, store.shop, Order.id == store.d.id)[store.d.id]

    assert (ledger.chargebacks, ledger.dispute_fees, ledger.fees_not_returned, ledger.true_loss) == (
        50_000,
        15_000,
        300,
        65_300,
    )


def test_returned_goods_refunded_cost_only_the_fee(session, store):
    whole, _ = customer_ledger(session, store.shop, store.kari.id)

    assert (whole.captured, whole.refunded, whole.goods_not_returned, whole.true_loss) == (
        100_000,
        100_000,
        0,
        100,
    )


def test_a_months_ledger_sums_the_orders_placed_in_it(session, store):
    ledger = period_ledger(session, store.shop, MAY.replace(day=1), MAY.replace(month=6, day=1))

    assert (ledger.captured, ledger.true_loss) == (220_000, 100 + 20_200 + 50_300)


def test_the_customer_page_shows_what_the_customer_cost(client, login, store):
    login("viewer")

    page = client.get(f"/customers/{store.ola.id}")

    assert 'id="ledger-h"' in page.text
    assert "NOK 202.00" in page.text.replace("\xa0", " ")


def test_the_dashboard_shows_this_months_true_loss(client, login, store):
    login("viewer")

    with frozen(MAY.replace(day=30)):
        page = client.get("/")

    assert "True loss this month" in page.text
    assert "NOK 706.00" in page.text.replace("\xa0", " ")
