"""Mirroring a platform's returns into storeguard's RMAs, through the returns domain's own actions.

A platform's return is the merchant's decision, taken there; storeguard records it as an RMA (one
per platform return, found again by its platform id) and walks it to the state the platform
reports, one step of the returns domain at a time, so its audit trail and outbox read as for a
return made here. Each platform event names the stage it reached:

- ``requested``: the RMA is opened (``request_return``), even after the shop's return window,
  since the platform has already taken it; the audit records whether it was past the window.
- ``authorized`` (Shopify's approve): a requested RMA is authorized.
- ``declined``: a requested RMA is declined with the platform's reason and note, which the
  customer was shown.
- ``closed``: the platform's return is finished; the goods came back, so an authorized RMA is
  marked received. Nothing is refunded here: a refund the platform made arrives as its own refund
  (Shopify's refunds/create) and is recorded on the order once, and the order's ledger refuses a
  second refund of the same units if staff later try to refund the RMA here.

An event that arrives before the ones it follows (approve before request) opens the RMA and
takes the missing steps first. An event the RMA is already at or past changes nothing, so a
repeated delivery is harmless. A stage that contradicts storeguard's own decision (the platform
approves a return storeguard declined) is refused for a person to settle, and nothing changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.integrations.mirror.shapes import MappedReturn, MappingError
from storeguard.orders.models import LineItem, Order
from storeguard.returns import actions
from storeguard.returns.actions import LineAsked
from storeguard.returns.enums import ReturnStatus
from storeguard.returns.models import Return

STAGES = ("requested", "authorized", "declined", "closed")
_PAST_AUTHORIZED = frozenset(
    {
        ReturnStatus.authorized,
        ReturnStatus.received,
        ReturnStatus.inspected,
        ReturnStatus.refunded,
        ReturnStatus.partly_refunded,
        ReturnStatus.rejected,
    }
)
# The steps that bring an RMA in one state to a platform's stage; a missing state contradicts it.
_STEPS: dict[str, dict[ReturnStatus, tuple[str, ...]]] = {
    "requested": {status: () for status in ReturnStatus},
    "authorized": {ReturnStatus.requested: ("authorize",)} | {s: () for s in _PAST_AUTHORIZED},
    "declined": {ReturnStatus.requested: ("decline",), ReturnStatus.declined: ()},
    "closed": {
        ReturnStatus.requested: ("authorize", "receive"),
        ReturnStatus.authorized: ("receive",),
        ReturnStatus.declined: (),  # a declined return is closed already
    }
    | {s: () for s in _PAST_AUTHORIZED - {ReturnStatus.authorized}},
}


def mirror_return(
    session: Session, order: Order, mapped: MappedReturn, stage: str, *, actor: Actor
) -> Return:
    """Bring the RMA of a platform's return to the ``stage`` the platform reports, opening it if new."""
    if stage not in _STEPS:
        raise ValueError(f"{stage!r} is not a return stage ({', '.join(STAGES)})")
    rma = session.scalar(
        select(Return).where(Return.shop_id == order.shop_id, Return.platform_id == mapped.platform_id)
    )
    if rma is None:
        rma = _open(session, order, mapped, actor)
    status = ReturnStatus(rma.status)
    steps = _STEPS[stage].get(status)
    if steps is None:
        raise MappingError(
            f"the platform reports return {mapped.platform_id} {stage}, but storeguard's return {rma.id}"
            f" is {status}: a person must settle which is right"
        )
    for step in steps:
        if step == "authorize":
            rma = actions.authorize_return(session, return_id=rma.id, actor=actor)
        elif step == "decline":
            reason = mapped.decline_reason or "Declined on the platform"
            rma = actions.decline_return(session, return_id=rma.id, actor=actor, reason=reason)
        else:
            rma = actions.receive_return(session, return_id=rma.id, actor=actor)
    return rma


def _open(session: Session, order: Order, mapped: MappedReturn, actor: Actor) -> Return:
    """Open the RMA for a platform's return, its lines matched to the order's by platform id."""
    line_ids = dict(
        session.execute(
            select(LineItem.platform_id, LineItem.id).where(
                LineItem.order_id == order.id, LineItem.platform_id.is_not(None)
            )
        ).all()
    )
    missing = [x.line_platform_id for x in mapped.lines if x.line_platform_id not in line_ids]
    if missing:
        raise MappingError(
            f"return {mapped.platform_id} names line items {missing} that order {order.number} does not have"
        )
    return actions.request_return(
        session,
        order_id=order.id,
        reason=mapped.reason,
        lines=[LineAsked(line_ids[x.line_platform_id], x.quantity, x.reason) for x in mapped.lines],
        actor=actor,
        note=mapped.note,
        platform_id=mapped.platform_id,
        at=mapped.requested_at,
        mirrored=True,
    )
