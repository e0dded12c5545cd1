from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.config import get_settings
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.orders import policy
from storeguard.orders.actions import RefundLineSpec, cancel_order, refund_line_items, refund_order
from storeguard.orders.enums import CancelReason, FinancialStatus, TransactionKind
from storeguard.orders.models import InventoryMovement
from tests.factories import place_order
from tests.orders.support import world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def test_refund_line_items_refunds_units_and_restocks_per_line(session, shop, shirt, mug):
    order = place_order(session, shop, [(shirt, 2), (mug, 2)], fee=300)
    shirt_line, mug_line = order.line_items

    refund = refund_line_items(
        session,
        order_id=order.id,
        actor=AGENT,
        reason="returned",
        note="RMA 7",
        lines=[RefundLineSpec(shirt_line.id, 1, restock=True), RefundLineSpec(mug_line.id, 2, restock=False)],
    )

    assert refund.amount == 4500 + 2000
    assert [(rl.line_item_id, rl.quantity, rl.amount, rl.restock) for rl in refund.lines] == [
        (shirt_line.id, 1, 4500, True),
        (mug_line.id, 2, 2000, False),
    ]
    assert (shirt_line.refunded_quantity, shirt_line.restocked_quantity) == (1, 1)
    assert (mug_line.refunded_quantity, mug_line.restocked_quantity) == (2, 0)
    assert (shirt.stock, mug.stock) == (9, 3)
    restocks = session.scalars(select(InventoryMovement).where(InventoryMovement.reason == "restocked")).all()
    assert [(m.product_id, m.delta) for m in restocks] == [(shirt.id, 1)]
    refund_tx = order.transactions[-1]
    assert (refund_tx.kind, refund_tx.amount, refund_tx.fee, refund_tx.refund_id) == (
        TransactionKind.refund,
        6500,
        0,
        refund.id,
    )
    assert refund_tx.parent_id == order.transactions[0].id
    assert order.financial_status == FinancialStatus.partially_refunded
    assert policy.ledger(order).net == 11000 - 6500 - 300


def test_refund_order_by_shipping_and_amount_without_lines(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], shipping=900)
    refund = refund_order(
        session, order_id=order.id, actor=AGENT, shipping=900, amount=500, reason="goodwill"
    )
    assert (refund.amount, refund.shipping_amount, refund.lines) == (1400, 900, [])
    assert shirt.stock == 9
    assert policy.refundable_shipping(order) == 0


def test_refund_order_states_the_expected_arrival_window_in_business_days(session, shop, shirt, monkeypatch):
    order = place_order(session, shop, [(shirt, 1)])
    with frozen(datetime(2024, 3, 1, 9, tzinfo=UTC)):
        refund = refund_order(session, order_id=order.id, actor=AGENT, amount=100)
    assert (refund.expected_arrival_from, refund.expected_arrival_to) == (date(2024, 3, 8), date(2024, 3, 15))

    monkeypatch.setenv("STOREGUARD_REFUND_ARRIVAL_MIN_BUSINESS_DAYS", "1")
    monkeypatch.setenv("STOREGUARD_REFUND_ARRIVAL_MAX_BUSINESS_DAYS", "3")
    get_settings.cache_clear()
    try:
        with frozen(datetime(2024, 3, 1, 9, tzinfo=UTC)):
            refund = refund_order(session, order_id=order.id, actor=AGENT, amount=100)
    finally:
        get_settings.cache_clear()
    assert (refund.expected_arrival_from, refund.expected_arrival_to) == (date(2024, 3, 4), date(2024, 3, 6))


def test_refund_order_in_steps_never_exceeds_captured(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    refund_order(session, order_id=order.id, actor=AGENT, amount=4000)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        refund_order(session, order_id=order.id, actor=AGENT, amount=501)

    assert refused.value.code == "refund_exceeds_captured"
    assert world(session) == before
    refund_order(session, order_id=order.id, actor=AGENT, amount=500)
    assert order.financial_status == FinancialStatus.refunded


def test_refund_order_records_an_audit_event_with_before_and_after(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], fee=100)
    refund = refund_order(
        session, order_id=order.id, actor=AGENT, amount=1000, reason="damaged", note="photo"
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.refunded")).one()
    assert event.reason == "damaged"
    assert event.before["refunded"] == 0 and event.after["refunded"] == 1000
    assert event.after["net"] == 4500 - 1000 - 100
    assert event.data["refund_id"] == refund.id
    assert event.data["note"] == "photo"


def test_refund_order_can_notify_the_customer_with_the_arrival_window(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], email="ola@example.com")
    with frozen(datetime(2024, 3, 1, 9, tzinfo=UTC)):
        refund = refund_order(session, order_id=order.id, actor=AGENT, amount=1000, notify_customer=True)
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).one()
    assert message.dedupe_key == f"order_refunded:{refund.id}"
    assert message.payload["template"] == "order_refunded"
    assert message.payload["to"] == "ola@example.com"
    assert message.payload["context"] == {
        "order_number": order.number,
        "refund_amount": "10.00 USD",
        "arrival_from": "2024-03-08",
        "arrival_to": "2024-03-15",
    }
    assert "We have refunded 10.00 USD for your order" in message.payload["text"]
    assert "between 2024-03-08 and 2024-03-15" in message.payload["text"]


def test_refund_of_a_cancelled_order_is_allowed(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.fraud,
        refund=False,
        restock=False,
        notify_customer=False,
    )
    refund_order(
        session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(order.line_items[0].id, 1, True)]
    )
    assert order.financial_status == FinancialStatus.refunded
    assert shirt.stock == 10


def test_restock_never_puts_back_more_than_the_line_took(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)])
    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.other,
        refund=False,
        restock=True,
        notify_customer=False,
    )
    refund_order(
        session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(order.line_items[0].id, 2, True)]
    )
    assert shirt.stock == 10
    assert order.line_items[0].restocked_quantity == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"amount": 4501}, Conflict, "refund_exceeds_captured"),
        ({}, Conflict, "nothing_to_refund"),
        ({"shipping": 1}, Conflict, "shipping_exceeds_refundable"),
        ({"lines": "too_many"}, Conflict, "quantity_exceeds_refundable"),
        ({"lines": "unknown"}, Invalid, "unknown_line_item"),
        ({"lines": "twice"}, Invalid, "duplicate_line_item"),
        ({"lines": "negative"}, Invalid, "invalid_quantity"),
        ({"amount": -1}, Invalid, "invalid_amount"),
        ({"amount": 10.5}, Invalid, "invalid_amount"),
        ({"amount": 1, "notify_customer": True, "email": None}, Invalid, "no_email_to_notify"),
    ],
)
def test_refund_order_refuses_bad_refunds_and_changes_nothing(session, shop, shirt, kwargs, error, code):
    kwargs = dict(kwargs)  # the parameters are shared by both backends' runs
    order = place_order(session, shop, [(shirt, 1)], email=kwargs.pop("email", "kari@example.com"))
    line_id = order.line_items[0].id
    lines = {
        "too_many": [RefundLineSpec(line_id, 2)],
        "unknown": [RefundLineSpec(999_999, 1)],
        "twice": [RefundLineSpec(line_id, 1), RefundLineSpec(line_id, 1)],
        "negative": [RefundLineSpec(line_id, -1)],
    }
    if "lines" in kwargs:
        kwargs["lines"] = lines[kwargs["lines"]]
    before = world(session)

    with pytest.raises(error) as refused:
        refund_order(session, order_id=order.id, actor=AGENT, **kwargs)

    assert refused.value.code == code
    assert world(session) == before


def test_refund_of_an_authorized_only_order_is_refused(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    before = world(session)
    with pytest.raises(Conflict) as refused:
        refund_order(
            session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(order.line_items[0].id, 1)]
        )
    assert refused.value.code == "refund_exceeds_captured"
    assert world(session) == before
