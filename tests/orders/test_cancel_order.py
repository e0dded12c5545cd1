from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.orders import policy
from storeguard.orders.actions import cancel_order, fulfill_order
from storeguard.orders.enums import CancelReason, FinancialStatus, OrderStatus, TransactionKind
from tests.factories import make_customer, place_order
from tests.orders.support import actions_of, world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def _cancel(session, order, **kw):
    args = {"reason": CancelReason.customer, "refund": False, "restock": False, "notify_customer": False}
    return cancel_order(session, order_id=order.id, actor=AGENT, **{**args, **kw})


def test_cancel_order_without_refund_moves_no_money(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)], fee=300)

    _cancel(session, order, reason=CancelReason.inventory, staff_note="supplier out")

    assert order.status == OrderStatus.cancelled
    assert order.cancel_reason == CancelReason.inventory
    assert order.financial_status == FinancialStatus.paid
    assert [t.kind for t in order.transactions] == [TransactionKind.sale]
    assert order.refunds == []
    assert shirt.stock == 8  # not restocked either
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.cancelled")).one()
    assert event.reason == "inventory"
    assert event.before["status"] == "open" and event.after["status"] == "cancelled"
    assert event.data["staff_note"] == "supplier out"
    assert event.actor == "api_key:agent-ann"


def test_cancel_order_with_refund_and_restock_returns_everything_but_the_fee(session, shop, shirt, mug):
    order = place_order(session, shop, [(shirt, 2), (mug, 1)], shipping=900, fee=320)
    with frozen(datetime(2024, 3, 1, 12, tzinfo=UTC)):  # a Friday
        _cancel(session, order, refund=True, restock=True)

    money = policy.ledger(order)
    assert (money.captured, money.refunded, money.fees, money.net) == (10_900, 10_900, 320, -320)
    assert order.financial_status == FinancialStatus.refunded
    [refund] = order.refunds
    assert (refund.amount, refund.shipping_amount) == (10_900, 900)
    assert (refund.expected_arrival_from, refund.expected_arrival_to) == (date(2024, 3, 8), date(2024, 3, 15))
    assert [(li.refunded_quantity, li.restocked_quantity) for li in order.line_items] == [(2, 2), (1, 1)]
    assert (shirt.stock, mug.stock) == (10, 5)


def test_cancel_order_refund_restocks_goods_never_shipped_without_calling_them_returned(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)])

    _cancel(session, order, refund=True, restock=True)

    [refund] = order.refunds
    assert [(x.quantity, x.restock, x.returned) for x in refund.lines] == [(2, True, False)]


def test_cancel_order_restock_without_refund_puts_goods_back(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 3)])
    _cancel(session, order, restock=True)
    assert shirt.stock == 10
    assert order.line_items[0].restocked_quantity == 3
    assert order.financial_status == FinancialStatus.paid


def test_cancel_order_voids_an_uncaptured_authorization(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    _cancel(session, order, refund=False)
    assert [t.kind for t in order.transactions] == [TransactionKind.authorization, TransactionKind.void]
    assert order.transactions[1].amount == 4500
    assert order.financial_status == FinancialStatus.voided
    assert order.refunds == []


def test_cancel_order_after_partial_refund_refunds_only_the_rest(session, shop, shirt):
    from storeguard.orders.actions import RefundLineSpec, refund_order

    order = place_order(session, shop, [(shirt, 2)])
    refund_order(
        session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(order.line_items[0].id, 1, True)]
    )
    _cancel(session, order, refund=True, restock=True)
    assert [r.amount for r in order.refunds] == [4500, 4500]
    assert policy.refundable_amount(order) == 0
    assert shirt.stock == 10


def test_cancel_order_notifies_the_customer_through_the_outbox(session, shop, shirt):
    customer = make_customer(session, shop, email="kari@example.com", locale="nb")
    order = place_order(session, shop, [(shirt, 1)], customer=customer)
    with frozen(datetime(2024, 3, 1, 12, tzinfo=UTC)):
        _cancel(session, order, refund=True, notify_customer=True)

    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    assert message.kind == "email"
    assert message.dedupe_key == f"order_cancelled:{order.id}"
    payload = message.payload
    assert {k: payload[k] for k in ("template", "to", "language", "shop_id", "order_id", "customer_id")} == {
        "template": "order_cancelled",
        "to": "kari@example.com",
        "language": "nb",
        "shop_id": shop.id,
        "order_id": order.id,
        "customer_id": customer.id,
    }
    assert payload["context"] == {
        "order_number": order.number,
        "reason": "customer",
        "refund_amount": "45.00 USD",
        "arrival_from": "2024-03-08",
        "arrival_to": "2024-03-15",
    }
    assert payload["subject"] == f"Bestillingen din {order.number} hos {shop.name} er kansellert"
    assert (
        "Vi refunderer 45.00 USD. Pengene skal være på kontoen din mellom 2024-03-08 og 2024-03-15."
        in (payload["text"])
    )


def test_cancel_order_refuses_an_active_fulfillment(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    fulfill_order(session, order_id=order.id, actor=AGENT)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        _cancel(session, order, refund=True, restock=True)

    assert refused.value.code == "fulfillment_active"
    assert world(session) == before


def test_cancel_order_refuses_to_cancel_twice(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    _cancel(session, order, refund=True, restock=True)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        _cancel(session, order, refund=True, restock=True)

    assert refused.value.code == "already_cancelled"
    assert world(session) == before
    assert actions_of(session, order.id) == ["order.created", "order.cancelled"]


def test_cancel_order_refuses_to_promise_a_notice_without_an_address(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], email=None)
    before = world(session)
    with pytest.raises(Invalid) as refused:
        _cancel(session, order, refund=True, notify_customer=True)
    assert refused.value.code == "no_email_to_notify"
    assert world(session) == before


def test_cancel_order_refuses_an_unknown_reason(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    before = world(session)
    with pytest.raises(Invalid) as refused:
        _cancel(session, order, reason="bored")
    assert refused.value.code == "invalid_cancel_reason"
    assert world(session) == before
