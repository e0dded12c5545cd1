import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.core.models import AuditEvent
from storeguard.orders import policy
from storeguard.orders.actions import cancel_order, capture_payment, void_authorization
from storeguard.orders.enums import CancelReason, FinancialStatus, TransactionKind
from tests.factories import place_order
from tests.orders.support import world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def test_capture_payment_takes_all_authorized_money_by_default(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)], payment="authorization")

    capture = capture_payment(session, order_id=order.id, actor=AGENT, fee=290)

    assert (capture.kind, capture.amount, capture.fee, capture.parent_id) == (
        TransactionKind.capture,
        9000,
        290,
        order.transactions[0].id,
    )
    assert order.financial_status == FinancialStatus.paid
    assert policy.ledger(order).net == 9000 - 290
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.captured")).one()
    assert (event.before["financial_status"], event.after["financial_status"]) == ("authorized", "paid")


def test_capture_payment_in_parts_then_void_the_rest(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)], payment="authorization")
    capture_payment(session, order_id=order.id, actor=AGENT, amount=4500)
    assert order.financial_status == FinancialStatus.partially_paid

    void = void_authorization(session, order_id=order.id, actor=AGENT)

    assert void.amount == 4500
    assert policy.capturable_amount(order) == 0
    assert policy.captured_amount(order) == 4500
    assert order.financial_status == FinancialStatus.partially_paid


@pytest.mark.parametrize(
    ("payment", "kwargs", "error", "code"),
    [
        ("sale", {}, Conflict, "not_authorized_payment"),
        (None, {}, Conflict, "not_authorized_payment"),
        ("authorization", {"amount": 4501}, Conflict, "capture_exceeds_authorized"),
        ("authorization", {"amount": 0}, Invalid, "invalid_amount"),
        ("authorization", {"fee": -1}, Invalid, "invalid_amount"),
    ],
)
def test_capture_payment_refuses_and_changes_nothing(session, shop, shirt, payment, kwargs, error, code):
    order = place_order(session, shop, [(shirt, 1)], payment=payment)
    before = world(session)
    with pytest.raises(error) as refused:
        capture_payment(session, order_id=order.id, actor=AGENT, **kwargs)
    assert refused.value.code == code
    assert world(session) == before


def test_capture_payment_refuses_a_cancelled_order(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="authorization")
    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.fraud,
        refund=False,
        restock=True,
        notify_customer=False,
    )
    before = world(session)
    with pytest.raises(Conflict) as refused:
        capture_payment(session, order_id=order.id, actor=AGENT)
    assert refused.value.code == "order_cancelled"
    assert world(session) == before


def test_void_authorization_refuses_when_nothing_is_uncaptured(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)], payment="sale")
    before = world(session)
    with pytest.raises(Conflict) as refused:
        void_authorization(session, order_id=order.id, actor=AGENT)
    assert refused.value.code == "nothing_to_void"
    assert world(session) == before


def test_actions_on_a_missing_order_answer_not_found(session):
    with pytest.raises(NotFound) as missing:
        capture_payment(session, order_id=987_654, actor=AGENT)
    assert missing.value.code == "order_not_found"
