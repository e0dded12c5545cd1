"""Actions on shipments: fulfil lines, cancel a fulfilment, mark one delivered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.orders import policy
from storeguard.orders.enums import FulfillmentState
from storeguard.orders.errors import OrderError
from storeguard.orders.locking import lock_order, order_state, refresh_statuses
from storeguard.orders.models import Fulfillment, FulfillmentLine, LineItem, Order


@dataclass(frozen=True, slots=True)
class FulfillLineSpec:
    """Ship ``quantity`` units of a line."""

    line_item_id: int
    quantity: int


def fulfill_order(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    lines: Sequence[FulfillLineSpec] | None = None,
    carrier: str | None = None,
    tracking_number: str | None = None,
    tracking_url: str | None = None,
) -> Fulfillment:
    """Ship the given line quantities, or everything still to ship when ``lines`` is None."""
    order = lock_order(session, order_id)
    blocker = policy.fulfill_blocker(order)
    if blocker is not None:
        raise Conflict(
            blocker, _FULFIL_REFUSALS[blocker].format(number=order.number, reason=order.hold_reason)
        )
    picked = _pick_lines(order, lines)
    if not picked:
        raise Conflict(OrderError.nothing_to_fulfill, f"order {order.number} has nothing left to ship")
    before = order_state(order)
    fulfillment = Fulfillment(
        state=FulfillmentState.open,
        carrier=carrier,
        tracking_number=tracking_number,
        tracking_url=tracking_url,
        created_at=now(),
    )
    for line, quantity in picked:
        fulfillment.lines.append(FulfillmentLine(line_item_id=line.id, quantity=quantity))
        line.fulfilled_quantity += quantity
    order.fulfillments.append(fulfillment)
    refresh_statuses(order)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="fulfillment.created",
        subject_type="order",
        subject_id=order.id,
        before=before,
        after=order_state(order),
        data={
            "fulfillment_id": fulfillment.id,
            "carrier": carrier,
            "tracking_number": tracking_number,
            "lines": [{"line_item_id": line.id, "quantity": quantity} for line, quantity in picked],
        },
    )
    return fulfillment


def cancel_fulfillment(session: Session, *, fulfillment_id: int, actor: Actor) -> Fulfillment:
    """Cancel a shipment that has not been delivered, so its lines are to ship again."""
    order, fulfillment = _lock_fulfillment(session, fulfillment_id)
    if fulfillment.state == FulfillmentState.cancelled:
        raise Conflict(
            OrderError.fulfillment_already_cancelled, f"fulfilment {fulfillment.id} is already cancelled"
        )
    if fulfillment.state == FulfillmentState.delivered:
        raise Conflict(
            OrderError.fulfillment_delivered,
            f"fulfilment {fulfillment.id} was delivered; take the goods back with a return instead",
        )
    before = order_state(order)
    lines = {line.id: line for line in order.line_items}
    for fl in fulfillment.lines:
        lines[fl.line_item_id].fulfilled_quantity -= fl.quantity
    fulfillment.state = FulfillmentState.cancelled
    fulfillment.cancelled_at = now()
    refresh_statuses(order)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="fulfillment.cancelled",
        subject_type="order",
        subject_id=order.id,
        before=before,
        after=order_state(order),
        data={"fulfillment_id": fulfillment.id},
    )
    return fulfillment


def mark_delivered(session: Session, *, fulfillment_id: int, actor: Actor) -> Fulfillment:
    """Record that a shipment reached the customer."""
    order, fulfillment = _lock_fulfillment(session, fulfillment_id)
    if fulfillment.state != FulfillmentState.open:
        raise Conflict(
            OrderError.fulfillment_delivered
            if fulfillment.state == FulfillmentState.delivered
            else OrderError.fulfillment_already_cancelled,
            f"fulfilment {fulfillment.id} is {fulfillment.state}, not in transit",
        )
    fulfillment.state = FulfillmentState.delivered
    fulfillment.delivered_at = now()
    session.flush()
    record_event(
        session,
        actor=actor,
        action="fulfillment.delivered",
        subject_type="order",
        subject_id=order.id,
        data={"fulfillment_id": fulfillment.id, "delivered_at": fulfillment.delivered_at.isoformat()},
    )
    return fulfillment


_FULFIL_REFUSALS = {
    OrderError.order_cancelled: "order {number} is cancelled",
    OrderError.order_closed: "order {number} is closed",
    OrderError.order_held: "order {number} is held for review ({reason}); release it before shipping",
}


def _lock_fulfillment(session: Session, fulfillment_id: int) -> tuple[Order, Fulfillment]:
    """Lock the order a fulfilment belongs to and return both, freshly loaded."""
    found = session.get(Fulfillment, fulfillment_id)
    if found is None:
        raise NotFound(OrderError.fulfillment_not_found, f"no fulfilment {fulfillment_id}")
    order = lock_order(session, found.order_id)
    fulfillment = next(f for f in order.fulfillments if f.id == fulfillment_id)
    return order, fulfillment


def _pick_lines(order: Order, specs: Sequence[FulfillLineSpec] | None) -> list[tuple[LineItem, int]]:
    """Match fulfil specs to lines, or take every line's fulfillable units when none are given."""
    if specs is None:
        return [(line, q) for line in order.line_items if (q := policy.fulfillable_quantity(line)) > 0]
    by_id = {line.id: line for line in order.line_items}
    picked: list[tuple[LineItem, int]] = []
    for spec in specs:
        line = by_id.get(spec.line_item_id)
        if line is None:
            raise Invalid(
                OrderError.unknown_line_item,
                f"order {order.number} has no line {spec.line_item_id}",
                field="lines",
            )
        if any(seen.id == line.id for seen, _ in picked):
            raise Invalid(OrderError.duplicate_line_item, f"line {line.id} is named twice", field="lines")
        if not isinstance(spec.quantity, int) or isinstance(spec.quantity, bool) or spec.quantity <= 0:
            raise Invalid(
                OrderError.invalid_quantity,
                f"quantity must be a whole number above zero; got {spec.quantity}",
                field="lines",
            )
        if spec.quantity > policy.fulfillable_quantity(line):
            raise Conflict(
                OrderError.quantity_exceeds_fulfillable,
                f"line {line.id} has {policy.fulfillable_quantity(line)} unit(s) left to ship; {spec.quantity} asked",
                field="lines",
            )
        picked.append((line, spec.quantity))
    return picked
