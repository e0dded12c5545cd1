"""The only code in screening that changes state: store decisions and act on them, work the review queue.

Each action locks what it changes, records an audit event and flushes; the entry point commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import CommonError, Conflict, Invalid, NotFound
from storeguard.core.events import publish
from storeguard.customers.identifiers import record_order_identifiers
from storeguard.orders import actions as order_actions
from storeguard.orders import policy as order_policy
from storeguard.orders.enums import CancelReason, OrderStatus
from storeguard.orders.errors import OrderError
from storeguard.orders.locking import lock_order
from storeguard.orders.models import Order
from storeguard.orders.schemas import OrderCreate
from storeguard.rules.actions import count_rule_hits
from storeguard.screening.counters import velocity_store
from storeguard.screening.engine import ScreenResult, screen
from storeguard.screening.enums import Outcome, ScreeningSource, VerificationStatus
from storeguard.screening.errors import ScreeningError
from storeguard.screening.models import Decision, ReviewNote, ScreeningSettings, Verification
from storeguard.screening.policy import rules_matched, validate_settings_change
from storeguard.screening.service import screening_settings
from storeguard.screening.velocity import VelocityStore
from storeguard.shops.service import get_shop


def record_decision(
    session: Session, result: ScreenResult, *, actor: Actor, source: ScreeningSource
) -> Decision:
    """Store a decision on a stored order, audit it, and count a hit for each rule it matched.

    Only a recorded decision counts: checkout answers and backtests store nothing, count nothing.
    """
    v = result.verdict
    decision = Decision(
        shop_id=result.shop_id,
        order_id=result.order_id,
        customer_id=result.customer_id,
        source=source,
        decision=v.decision,
        score=v.score,
        reasons=[r.as_dict() for r in v.reasons],
        restricted_lines=v.restricted_lines,
        policy_version=result.policy_version,
        settings_revision=result.settings_revision,
        duration_us=result.duration_us,
        verification=result.verification,
        created_at=now(),
    )
    session.add(decision)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="order.screened",
        subject_type="order",
        subject_id=result.order_id or "",
        reason=v.decision.value,
        data={
            "decision_id": decision.id,
            "decision": v.decision.value,
            "score": v.score,
            "codes": [r.code for r in v.reasons if r.decisive],
            "policy_version": result.policy_version,
        },
    )
    count_rule_hits(session, rules_matched(v.reasons), decision.created_at)
    return decision


def _hold(
    session: Session, order: Order, decision: Decision, actor: Actor, reason: str | None = None
) -> None:
    """Hold the order for a person; one already held keeps its hold, and its place in the queue."""
    if reason is None:
        codes = ", ".join(r["code"] for r in decision.reasons if r.get("decisive")) or "review"
        reason = f"screening said review: {codes}"
    if order.held:
        # A rescreen that says review again is no new hold; only a changed reason is worth a record.
        if order.hold_reason != reason:
            before = {"hold_reason": order.hold_reason}
            order.hold_reason = reason
            session.flush()
            record_event(
                session,
                actor=actor,
                action="order.hold_updated",
                subject_type="order",
                subject_id=order.id,
                reason=reason,
                before=before,
                after={"hold_reason": reason},
                data={"decision_id": decision.id, "decision": str(decision.decision)},
            )
        return
    order.held = True
    order.held_at = now()
    order.hold_reason = reason
    session.flush()
    record_event(
        session,
        actor=actor,
        action="order.held",
        subject_type="order",
        subject_id=order.id,
        reason=reason,
        data={"decision_id": decision.id, "decision": str(decision.decision)},
    )
    _publish_hold(session, "order.held", order, decision)


def _publish_hold(session: Session, name: str, order: Order, decision: Decision) -> None:
    """Tell subscribers (a platform's admin) that the order waits, and why, so nobody ships it.

    Only a new hold or a new verification step gets here, so screening again publishes nothing.
    """
    publish(
        session,
        name,
        shop_id=order.shop_id,
        subject_type="order",
        subject_id=order.id,
        data={
            "decision_id": decision.id,
            "outcome": str(decision.decision),
            "score": decision.score,
            "reasons": decision.reasons,
        },
        key=decision.id,
    )


def _require_verification(
    session: Session, order: Order, decision: Decision, actor: Actor
) -> Verification | None:
    """Record the verification step the decision asks for, unless the same step is already pending."""
    req = decision.verification or {}
    method = req.get("method", "manual")
    pending = session.scalar(
        select(Verification.id)
        .where(
            Verification.order_id == order.id,
            Verification.method == method,
            Verification.status == VerificationStatus.required,
        )
        .limit(1)
    )
    if pending is not None:
        return None
    verification = Verification(
        shop_id=order.shop_id,
        order_id=order.id,
        decision_id=decision.id,
        method=method,
        satisfied_by=req.get("satisfied_by", ""),
        status=VerificationStatus.required,
        created_at=now(),
    )
    session.add(verification)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="verification.required",
        subject_type="order",
        subject_id=order.id,
        data={
            "verification_id": verification.id,
            "decision_id": decision.id,
            "method": verification.method,
            "satisfied_by": verification.satisfied_by,
        },
    )
    _publish_hold(session, "verification.required", order, decision)
    return verification


def _record_velocity(
    session: Session, order: Order, result: ScreenResult, store: VelocityStore | None
) -> None:
    (store or velocity_store()).record(
        session,
        order.shop_id,
        result.velocity_keys,
        order_id=order.id,
        amount=order.total,
        at=order.created_at,
    )


def accept_order(
    session: Session, *, actor: Actor, data: OrderCreate, velocity: VelocityStore | None = None
) -> tuple[Order, Decision]:
    """Create an order and screen it in one transaction; a block refuses it with the decision.

    On block the action raises ``Conflict(order_blocked)`` carrying the decision, so the entry point
    never commits and nothing is stored. Review holds the order; verify records the step required.
    """
    # A savepoint, so a refusal takes back the order, its stock and its identifiers even when the
    # caller's session lives on (a test client, a batch import).
    with session.begin_nested():
        order = order_actions.create_order(session, actor=actor, data=data)
        record_order_identifiers(session, order)
        result = screen(session, order, velocity=velocity)
        if result.decision is Outcome.block:
            raise Conflict(
                ScreeningError.order_blocked,
                "screening blocked this order: "
                + "; ".join(r.message for r in result.verdict.reasons if r.decisive),
                decision=result.as_dict(),
            )
        decision = record_decision(session, result, actor=actor, source=ScreeningSource.order_created)
        _act(session, order, decision, actor)
        _record_velocity(session, order, result, velocity)
    return order, decision


def _act(session: Session, order: Order, decision: Decision, actor: Actor) -> None:
    if decision.decision == Outcome.review:
        _hold(session, order, decision, actor)
    elif decision.decision == Outcome.verify:
        _require_verification(session, order, decision, actor)


def screen_existing_order(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    source: ScreeningSource = ScreeningSource.integration,
    velocity: VelocityStore | None = None,
) -> Decision:
    """Screen an order that already exists (on the platform) and act: block cancels it per the policy.

    A block cancels with refund and restock as the shop's ``on_block`` setting says. When the order
    can no longer be cancelled (a fulfilment is under way), it is held for a person instead.
    """
    order = lock_order(session, order_id)
    record_order_identifiers(session, order)
    first_time = session.scalar(select(Decision.id).where(Decision.order_id == order.id).limit(1)) is None
    result = screen(session, order, velocity=velocity)
    decision = record_decision(session, result, actor=actor, source=source)
    if first_time:
        _record_velocity(session, order, result, velocity)
    if order.status != OrderStatus.open:
        # A cancelled or closed order is past holding, verifying or cancelling: the decision is the record.
        return decision
    if decision.decision != Outcome.block:
        _act(session, order, decision, actor)
        return decision
    settings, _ = screening_settings(session, order.shop_id)
    on_block = settings["on_block"]
    blocker = order_policy.cancel_blocker(order)
    if blocker is not None:
        reason = f"screening said block, but the order cannot be cancelled ({blocker})"
        _hold(session, order, decision, actor, reason)
        return decision
    order_actions.cancel_order(
        session,
        order_id=order.id,
        actor=actor,
        reason=CancelReason.fraud,
        refund=bool(on_block["refund"]),
        restock=bool(on_block["restock"]),
        notify_customer=False,
        staff_note=f"cancelled by screening (decision #{decision.id})",
    )
    return decision


def _lock_held(session: Session, order_id: int) -> Order:
    try:
        order = lock_order(session, order_id)
    except NotFound:
        raise NotFound(OrderError.order_not_found, f"no order {order_id}") from None
    if not order.held:
        raise Conflict(ScreeningError.order_not_held, f"order {order.number} is not held for review")
    return order


def approve_review(session: Session, *, order_id: int, actor: Actor, note: str | None = None) -> Order:
    """Release a held order to fulfilment."""
    order = _lock_held(session, order_id)
    if order.status != OrderStatus.open:
        raise Conflict(ScreeningError.order_not_open, f"order {order.number} is {order.status}")
    before = {"held": True, "hold_reason": order.hold_reason}
    order.held = False
    order.hold_reason = None
    row = _add_note(session, order.id, actor, note) if note else None
    session.flush()
    event = record_event(
        session,
        actor=actor,
        action="review.approved",
        subject_type="order",
        subject_id=order.id,
        reason=note,
        before=before,
        after={"held": False, "hold_reason": None},
        data={"note_id": row.id if row else None},
    )
    publish(
        session,
        "review.released",
        shop_id=order.shop_id,
        subject_type="order",
        subject_id=order.id,
        data={"note": note},
        key=event.id,
    )
    return order


def cancel_review(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    refund: bool | None = None,
    restock: bool | None = None,
    note: str | None = None,
    reason: CancelReason | str = CancelReason.fraud,
) -> Order:
    """Cancel a held order with refund and restock as chosen (the shop's block policy by default)."""
    order = _lock_held(session, order_id)
    before = {"held": True, "hold_reason": order.hold_reason, "status": str(order.status)}
    settings, _ = screening_settings(session, order.shop_id)
    refund = settings["on_block"]["refund"] if refund is None else refund
    restock = settings["on_block"]["restock"] if restock is None else restock
    order_actions.cancel_order(
        session,
        order_id=order.id,
        actor=actor,
        reason=reason,
        refund=bool(refund),
        restock=bool(restock),
        notify_customer=False,
        staff_note=note,
    )
    order.held = False
    row = _add_note(session, order.id, actor, note) if note else None
    session.flush()
    event = record_event(
        session,
        actor=actor,
        action="review.cancelled",
        subject_type="order",
        subject_id=order.id,
        reason=note,
        before=before,
        after={"held": False, "hold_reason": order.hold_reason, "status": str(order.status)},
        data={
            "refund": bool(refund),
            "restock": bool(restock),
            "cancel_reason": str(reason),
            "note_id": row.id if row else None,
        },
    )
    # cancel_order has published order.cancelled; this says the order no longer waits for a reviewer.
    publish(
        session,
        "review.cancelled",
        shop_id=order.shop_id,
        subject_type="order",
        subject_id=order.id,
        key=event.id,
    )
    return order


def _add_note(session: Session, order_id: int, actor: Actor, body: str) -> ReviewNote:
    row = ReviewNote(order_id=order_id, author=str(actor), body=body.strip(), created_at=now())
    session.add(row)
    session.flush()
    return row


def add_review_note(session: Session, *, order_id: int, actor: Actor, body: str) -> ReviewNote:
    """Add a note to an order in (or through) review."""
    if not body or not body.strip():
        raise Invalid(CommonError.note_required, "a note needs some text", field="body")
    if session.get(Order, order_id) is None:
        raise NotFound(OrderError.order_not_found, f"no order {order_id}")
    row = _add_note(session, order_id, actor, body)
    record_event(
        session,
        actor=actor,
        action="review.note_added",
        subject_type="order",
        subject_id=order_id,
        reason=row.body,
        data={"note_id": row.id},
    )
    return row


def resolve_verification(
    session: Session, *, verification_id: int, actor: Actor, status: VerificationStatus | str
) -> Verification:
    """Mark a verification step satisfied, failed or waived."""
    row = session.scalar(
        select(Verification).where(Verification.id == verification_id).with_for_update(key_share=True)
    )
    if row is None:
        raise NotFound(ScreeningError.verification_not_found, f"no verification {verification_id}")
    try:
        status = VerificationStatus(status)
    except ValueError:
        raise Invalid(
            ScreeningError.invalid_status, f"{status!r} is not satisfied, failed or waived", field="status"
        ) from None
    if status is VerificationStatus.required:
        raise Invalid(
            ScreeningError.invalid_status, "a verification can be satisfied, failed or waived", field="status"
        )
    if row.status != VerificationStatus.required:
        raise Conflict(ScreeningError.verification_resolved, f"verification {row.id} is already {row.status}")
    row.status = status
    row.resolved_at = now()
    row.resolved_by = str(actor)
    session.flush()
    event = record_event(
        session,
        actor=actor,
        action=f"verification.{status.value}",
        subject_type="order",
        subject_id=row.order_id,
        before={"status": VerificationStatus.required.value},
        after={"status": status.value},
        data={"verification_id": row.id, "decision_id": row.decision_id, "method": row.method},
    )
    if status is not VerificationStatus.failed:
        _publish_verification_settled(session, row, event.id)
    return row


def _publish_verification_settled(session: Session, row: Verification, event_id: int) -> None:
    """Say the order no longer waits for its customer once no step is pending; a failed step keeps it."""
    pending = session.scalar(
        select(Verification.id)
        .where(Verification.order_id == row.order_id, Verification.status == VerificationStatus.required)
        .limit(1)
    )
    if pending is None:
        publish(
            session,
            "verification.settled",
            shop_id=row.shop_id,
            subject_type="order",
            subject_id=row.order_id,
            data={"verification_id": row.id, "status": str(row.status)},
            key=event_id,
        )


def update_screening_settings(
    session: Session, *, shop_id: int, actor: Actor, changes: dict[str, Any]
) -> ScreeningSettings:
    """Change parts of a shop's screening policy (weights, thresholds, segments, what block does)."""
    shop = get_shop(session, shop_id)
    row = session.scalar(
        select(ScreeningSettings).where(ScreeningSettings.shop_id == shop_id).with_for_update(key_share=True)
    )
    current = dict(row.data) if row else {}
    merged = validate_settings_change(current, changes, shop.currency)
    before = {"revision": row.revision if row else 0, "data": current}
    if row is None:
        row = ScreeningSettings(shop_id=shop_id, revision=1, data=merged, updated_by=str(actor))
        session.add(row)
    else:
        row.data = merged
        row.revision += 1
        row.updated_by = str(actor)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="screening_settings.updated",
        subject_type="shop",
        subject_id=shop_id,
        before=before,
        after={"revision": row.revision, "data": merged},
    )
    return row
