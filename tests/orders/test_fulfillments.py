import pytest

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.orders.actions import (
    FulfillLineSpec,
    RefundLineSpec,
    cancel_fulfillment,
    cancel_order,
    fulfill_order,
    mark_delivered,
    refund_order,
)
from storeguard.orders.enums import CancelReason, FulfillmentState, FulfillmentStatus, OrderStatus
from tests.factories import make_order, place_order
from tests.orders.support import actions_of, world

AGENT = Actor("api_key", "agent-ann", Role.agent)


def test_fulfill_order_ships_everything_left_by_default(session, shop, shirt, mug):
    order = place_order(session, shop, [(shirt, 2), (mug, 1)])

    fulfillment = fulfill_order(
        session,
        order_id=order.id,
        actor=AGENT,
        carrier="Posten",
        tracking_number="7070",
        tracking_url="https://sporing.posten.no/7070",
    )

    assert fulfillment.state == FulfillmentState.open
    assert (fulfillment.carrier, fulfillment.tracking_number) == ("Posten", "7070")
    assert [(fl.line_item_id, fl.quantity) for fl in fulfillment.lines] == [
        (order.line_items[0].id, 2),
        (order.line_items[1].id, 1),
    ]
    assert order.fulfillment_status == FulfillmentStatus.fulfilled
    assert actions_of(session, order.id)[-1] == "fulfillment.created"


def test_fulfill_order_in_parts(session, shop, shirt, mug):
    order = place_order(session, shop, [(shirt, 2), (mug, 1)])
    fulfill_order(session, order_id=order.id, actor=AGENT, lines=[FulfillLineSpec(order.line_items[0].id, 1)])
    assert order.fulfillment_status == FulfillmentStatus.partial
    fulfill_order(session, order_id=order.id, actor=AGENT)
    assert order.fulfillment_status == FulfillmentStatus.fulfilled
    assert [li.fulfilled_quantity for li in order.line_items] == [2, 1]


def test_cancel_fulfillment_puts_lines_back_to_ship_and_unblocks_cancel(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 2)])
    fulfillment = fulfill_order(session, order_id=order.id, actor=AGENT)

    cancel_fulfillment(session, fulfillment_id=fulfillment.id, actor=AGENT)

    assert fulfillment.state == FulfillmentState.cancelled
    assert fulfillment.cancelled_at is not None
    assert order.fulfillment_status == FulfillmentStatus.unfulfilled
    assert order.line_items[0].fulfilled_quantity == 0
    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.customer,
        refund=True,
        restock=True,
        notify_customer=False,
    )
    assert order.status == OrderStatus.cancelled


def test_mark_delivered_then_cancel_is_refused_and_refund_after_return_works(session, shop, shirt):
    order = place_order(session, shop, [(shirt, 1)])
    fulfillment = fulfill_order(session, order_id=order.id, actor=AGENT)
    mark_delivered(session, fulfillment_id=fulfillment.id, actor=AGENT)
    assert fulfillment.state == FulfillmentState.delivered and fulfillment.delivered_at is not None
    before = world(session)

    with pytest.raises(Conflict) as refused:
        cancel_order(
            session,
            order_id=order.id,
            actor=AGENT,
            reason=CancelReason.customer,
            refund=True,
            restock=True,
            notify_customer=False,
        )
    assert refused.value.code == "fulfillment_delivered"
    assert world(session) == before

    refund_order(
        session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(order.line_items[0].id, 1, True)]
    )
    assert shirt.stock == 10


def test_fulfill_order_refuses_a_held_order(session, shop, shirt):
    order = make_order(session, shop, lines=[(shirt, 1)], held=True, hold_reason="screening said review")
    before = world(session)
    with pytest.raises(Conflict) as refused:
        fulfill_order(session, order_id=order.id, actor=AGENT)
    assert refused.value.code == "order_held"
    assert "screening said review" in refused.value.message
    assert world(session) == before


@pytest.mark.parametrize(
    ("setup", "lines", "error", "code"),
    [
        ("cancelled", None, Conflict, "order_cancelled"),
        ("shipped", None, Conflict, "nothing_to_fulfill"),
        ("refunded", None, Conflict, "nothing_to_fulfill"),
        (None, [("line", 3)], Conflict, "quantity_exceeds_fulfillable"),
        (None, [("line", 0)], Invalid, "invalid_quantity"),
        (None, [(999_999, 1)], Invalid, "unknown_line_item"),
        (None, [("line", 1), ("line", 1)], Invalid, "duplicate_line_item"),
    ],
)
def test_fulfill_order_refuses_and_changes_nothing(session, shop, shirt, setup, lines, error, code):
    order = place_order(session, shop, [(shirt, 2)])
    line_id = order.line_items[0].id
    if setup == "cancelled":
        cancel_order(
            session,
            order_id=order.id,
            actor=AGENT,
            reason=CancelReason.other,
            refund=False,
            restock=False,
            notify_customer=False,
        )
    elif setup == "shipped":
        fulfill_order(session, order_id=order.id, actor=AGENT)
    elif setup == "refunded":
        refund_order(session, order_id=order.id, actor=AGENT, lines=[RefundLineSpec(line_id, 2)])
    specs = None if lines is None else [FulfillLineSpec(line_id if i == "line" else i, q) for i, q in lines]
    before = world(session)

    with pytest.raises(error) as refused:
        fulfill_order(session, order_id=order.id, actor=AGENT, lines=specs)

    assert refused.value.code == code
    assert world(session) == before


@pytest.mark.parametrize(
    ("action", "state", "code"),
    [
        (cancel_fulfillment, "cancelled", "fulfillment_already_cancelled"),
        (cancel_fulfillment, "delivered", "fulfillment_delivered"),
        (mark_delivered, "cancelled", "fulfillment_already_cancelled"),
        (mark_delivered, "delivered", "fulfillment_delivered"),
    ],
)
def test_fulfillment_changes_refused_in_the_wrong_state(session, shop, shirt, action, state, code):
    order = place_order(session, shop, [(shirt, 1)])
    fulfillment = fulfill_order(session, order_id=order.id, actor=AGENT)
    first = cancel_fulfillment if state == "cancelled" else mark_delivered
    first(session, fulfillment_id=fulfillment.id, actor=AGENT)
    before = world(session)

    with pytest.raises(Conflict) as refused:
        action(session, fulfillment_id=fulfillment.id, actor=AGENT)

    assert refused.value.code == code
    assert world(session) == before


def test_fulfillment_actions_on_a_missing_fulfillment_answer_not_found(session):
    with pytest.raises(NotFound) as missing:
        cancel_fulfillment(session, fulfillment_id=987_654, actor=AGENT)
    assert missing.value.code == "fulfillment_not_found"
