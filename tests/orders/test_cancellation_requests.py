import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, NotFound
from storeguard.core.models import OutboxMessage
from storeguard.orders.actions import (
    accept_cancellation_request,
    cancel_order,
    decline_cancellation_request,
    fulfill_order,
    record_cancellation_request,
)
from storeguard.orders.enums import CancellationRequestStatus, CancelReason, FinancialStatus, OrderStatus
from tests.factories import place_order
from tests.orders.support import actions_of, world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def test_record_cancellation_request_cancels_nothing(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])

    request = record_cancellation_request(
        session, order_id=order.id, actor=AGENT, channel="chat", message="wrong size, please cancel"
    )

    assert request.status == CancellationRequestStatus.open
    assert order.status == OrderStatus.open
    assert order.financial_status == FinancialStatus.paid
    assert actions_of(session, order.id) == ["order.created", "cancellation_request.recorded"]


def test_accept_cancellation_request_cancels_as_the_customer_asked(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    request = record_cancellation_request(session, order_id=order.id, actor=AGENT)

    accept_cancellation_request(
        session,
        request_id=request.id,
        actor=AGENT,
        refund=True,
        restock=True,
        notify_customer=True,
        staff_note="ok",
    )

    assert request.status == CancellationRequestStatus.accepted
    assert request.handled_by == "api_key:agent-ann" and request.handled_at is not None
    assert (order.status, order.cancel_reason) == (OrderStatus.cancelled, CancelReason.customer)
    assert order.financial_status == FinancialStatus.refunded
    assert shirt.stock == 10
    assert (
        session.scalars(select(OutboxMessage.payload).where(OutboxMessage.kind == "email")).one()["template"]
        == "order_cancelled"
    )
    assert actions_of(session, order.id)[-2:] == ["order.cancelled", "cancellation_request.accepted"]


def test_accept_cancellation_request_refused_when_the_order_cannot_be_cancelled(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    request = record_cancellation_request(session, order_id=order.id, actor=AGENT)
    fulfill_order(session, order_id=order.id, actor=AGENT)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        accept_cancellation_request(session, request_id=request.id, actor=AGENT)

    assert refused.value.code == "fulfillment_active"
    assert world(session) == before


def test_decline_cancellation_request_keeps_the_order_and_can_tell_the_customer(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    request = record_cancellation_request(session, order_id=order.id, actor=AGENT)

    decline_cancellation_request(
        session, request_id=request.id, actor=AGENT, staff_note="already packed", notify_customer=True
    )

    assert request.status == CancellationRequestStatus.declined
    assert order.status == OrderStatus.open
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).one()
    assert message.payload["template"] == "cancellation_request_declined"
    assert message.payload["context"] == {
        "order_number": message.payload["order_number"],
        "staff_note": "already packed",
    }


def test_a_handled_request_cannot_be_handled_again(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    request = record_cancellation_request(session, order_id=order.id, actor=AGENT)
    decline_cancellation_request(session, request_id=request.id, actor=AGENT)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        accept_cancellation_request(session, request_id=request.id, actor=AGENT)

    assert refused.value.code == "request_already_handled"
    assert world(session) == before


def test_record_cancellation_request_refused_on_a_cancelled_order(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.customer,
        refund=False,
        restock=False,
        notify_customer=False,
    )
    with pytest.raises(Conflict) as refused:
        record_cancellation_request(session, order_id=order.id, actor=AGENT)
    assert refused.value.code == "already_cancelled"


def test_unknown_cancellation_request_answers_not_found(session):
    with pytest.raises(NotFound) as missing:
        decline_cancellation_request(session, request_id=987_654, actor=AGENT)
    assert missing.value.code == "cancellation_request_not_found"
