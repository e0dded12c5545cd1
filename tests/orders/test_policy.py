"""The pure rules: no database, orders built in memory."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from storeguard.orders import policy
from storeguard.orders.enums import (
    FinancialStatus,
    FulfillmentState,
    FulfillmentStatus,
    OrderStatus,
    TransactionKind,
    TransactionStatus,
)
from storeguard.orders.errors import OrderError
from storeguard.orders.models import Fulfillment, LineItem, Order, Refund, Transaction


def _order(*transactions: tuple[str, int, int], total: int = 10000, shipping: int = 0, **kw) -> Order:
    order = Order(
        number="#1",
        currency="USD",
        total=total,
        shipping=shipping,
        status=kw.pop("status", OrderStatus.open),
        held=kw.pop("held", False),
        **kw,
    )
    order.transactions = [
        Transaction(
            kind=TransactionKind(kind),
            amount=amount,
            fee=fee,
            status=TransactionStatus.success,
            currency="USD",
        )
        for kind, amount, fee in transactions
    ]
    order.line_items = []
    order.fulfillments = []
    order.refunds = []
    return order


def test_ledger_nets_captured_less_refunded_less_fees():
    order = _order(("sale", 10000, 320), ("refund", 2500, 0))
    assert policy.ledger(order) == policy.Ledger(
        currency="USD", authorized=0, captured=10000, refunded=2500, fees=320, net=7180, refundable=7500
    )


def test_failed_transactions_do_not_count():
    order = _order(("sale", 10000, 300))
    order.transactions[0].status = TransactionStatus.failure
    assert policy.captured_amount(order) == 0
    assert policy.fees_amount(order) == 0


def test_capturable_amount_is_authorized_less_captured_less_voided():
    order = _order(("authorization", 10000, 0), ("capture", 4000, 0))
    assert policy.capturable_amount(order) == 6000
    order.transactions.append(
        Transaction(kind=TransactionKind.void, amount=6000, status="success", currency="USD")
    )
    assert policy.capturable_amount(order) == 0


def test_financial_status_follows_the_money():
    assert policy.financial_status(_order()) == FinancialStatus.pending
    assert policy.financial_status(_order(("authorization", 10000, 0))) == FinancialStatus.authorized
    assert (
        policy.financial_status(_order(("authorization", 10000, 0), ("void", 10000, 0)))
        == FinancialStatus.voided
    )
    assert policy.financial_status(_order(("authorization", 10000, 0), ("capture", 4000, 0))) == (
        FinancialStatus.partially_paid
    )
    assert policy.financial_status(_order(("sale", 10000, 0))) == FinancialStatus.paid
    assert (
        policy.financial_status(_order(("sale", 10000, 0), ("refund", 1, 0)))
        == FinancialStatus.partially_refunded
    )
    assert (
        policy.financial_status(_order(("sale", 10000, 0), ("refund", 10000, 0))) == FinancialStatus.refunded
    )


def test_cancel_blocker_names_the_obstacle():
    order = _order(("sale", 10000, 0))
    assert policy.cancel_blocker(order) is None
    order.fulfillments = [Fulfillment(state=FulfillmentState.open)]
    assert policy.cancel_blocker(order) == OrderError.fulfillment_active
    order.fulfillments = [Fulfillment(state=FulfillmentState.cancelled)]
    assert policy.cancel_blocker(order) is None
    order.fulfillments = [Fulfillment(state=FulfillmentState.delivered)]
    assert policy.cancel_blocker(order) == OrderError.fulfillment_delivered
    assert policy.cancel_blocker(_order(status=OrderStatus.cancelled)) == OrderError.already_cancelled
    assert policy.cancel_blocker(_order(status=OrderStatus.closed)) == OrderError.order_closed


def test_fulfill_blocker_refuses_held_and_cancelled_orders():
    assert policy.fulfill_blocker(_order()) is None
    assert policy.fulfill_blocker(_order(held=True)) == OrderError.order_held
    assert policy.fulfill_blocker(_order(status=OrderStatus.cancelled)) == OrderError.order_cancelled


def test_line_refund_amount_spreads_the_discount_and_sums_to_the_line_total():
    line = LineItem(quantity=3, unit_price=1000, discount=100, refunded_quantity=0)  # total 2900
    first = policy.line_refund_amount(line, 1)
    line.refunded_quantity = 1
    second = policy.line_refund_amount(line, 2)
    assert (first, second) == (966, 1934)
    assert first + second == 2900


@given(
    quantity=st.integers(1, 20),
    unit_price=st.integers(0, 100_000),
    discount_share=st.floats(0, 1),
    data=st.data(),
)
def test_line_refund_amounts_in_any_steps_add_up_to_the_line_total(
    quantity, unit_price, discount_share, data
):
    line = LineItem(
        quantity=quantity,
        unit_price=unit_price,
        discount=int(unit_price * quantity * discount_share),
        refunded_quantity=0,
    )
    returned = 0
    while line.refunded_quantity < quantity:
        step = data.draw(st.integers(1, quantity - line.refunded_quantity))
        returned += policy.line_refund_amount(line, step)
        line.refunded_quantity += step
    assert returned == line.total


def test_refund_refusal_checks_quantity_shipping_and_captured():
    order = _order(("sale", 5000, 0), total=5000, shipping=500)
    line = LineItem(id=1, quantity=2, unit_price=2250, discount=0, refunded_quantity=1)
    order.line_items = [line]
    assert policy.refund_refusal(order, lines=[(line, 2)], shipping=0, amount=0).code == (
        OrderError.quantity_exceeds_refundable
    )
    assert (
        policy.refund_refusal(order, lines=[], shipping=501, amount=0).code
        == OrderError.shipping_exceeds_refundable
    )
    assert policy.refund_refusal(order, lines=[], shipping=0, amount=0).code == OrderError.nothing_to_refund
    assert (
        policy.refund_refusal(order, lines=[], shipping=0, amount=5001).code
        == OrderError.refund_exceeds_captured
    )
    assert policy.refund_refusal(order, lines=[(line, 1)], shipping=500, amount=2250) is None


def test_refundable_shipping_subtracts_earlier_shipping_refunds():
    order = _order(shipping=900)
    order.refunds = [Refund(shipping_amount=400)]
    assert policy.refundable_shipping(order) == 500


def test_fulfillment_status_and_fulfillable_quantity_discount_refunded_units():
    order = _order()
    a = LineItem(id=1, quantity=2, fulfilled_quantity=0, refunded_quantity=0)
    b = LineItem(id=2, quantity=1, fulfilled_quantity=0, refunded_quantity=0)
    order.line_items = [a, b]
    assert policy.fulfillment_status(order) == FulfillmentStatus.unfulfilled
    a.fulfilled_quantity = 2
    assert policy.fulfillment_status(order) == FulfillmentStatus.partial
    b.refunded_quantity = 1  # refunded before it shipped: nothing left to ship
    assert policy.fulfillable_quantity(b) == 0
    assert policy.fulfillment_status(order) == FulfillmentStatus.fulfilled


def test_refund_arrival_window_counts_business_days_only():
    friday = date(2024, 3, 1)
    assert policy.refund_arrival_window(friday, 5, 10) == (date(2024, 3, 8), date(2024, 3, 15))
    saturday = date(2024, 3, 2)
    assert policy.add_business_days(saturday, 1) == date(2024, 3, 4)
    assert policy.add_business_days(friday, 0) == friday
