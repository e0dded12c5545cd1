"""The audit trail of screening's actions: who did what to which order, and what changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.errors import Conflict
from storeguard.orders.actions import fulfill_order
from storeguard.orders.models import Order
from storeguard.screening.actions import (
    add_review_note,
    approve_review,
    cancel_review,
    resolve_verification,
    screen_existing_order,
    update_screening_settings,
)
from storeguard.screening.models import Decision, ReviewNote, Verification
from storeguard.screening.velocity_sql import SqlVelocity
from tests.screening.support import OWNER, block_customer, make_store, new_customer, past_order

ACTOR = str(OWNER)  # "api_key:test-owner"
REVIEW_REASON = "screening said review: disposable_email"


def _screened(session: Session, thresholds: dict[str, int]) -> tuple[Any, Order, Decision]:
    """A stored order from a disposable address, screened under the given score thresholds."""
    store = make_store(session)
    update_screening_settings(
        session, shop_id=store.shop.id, actor=OWNER, changes={"score_thresholds": thresholds}
    )
    order = past_order(session, store, None, email="x@mailinator.com")
    decision = screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    return store, order, decision


def _held(session: Session) -> tuple[Any, Order, Decision]:
    store, order, decision = _screened(session, {"review": 20})
    assert (decision.decision, order.held) == ("review", True)
    return store, order, decision


def _event(session: Session, order: Order, action: str) -> Any:
    (event,) = [e for e in events_for(session, "order", order.id) if e.action == action]
    return event


def test_hold_records_order_held_with_the_deciding_decision(session: Session) -> None:
    _, order, decision = _held(session)
    event = _event(session, order, "order.held")
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert event.reason == REVIEW_REASON
    assert event.data == {"decision_id": decision.id, "decision": "review"}


def test_approve_review_records_review_approved_with_the_hold_it_released(session: Session) -> None:
    _, order, _ = _held(session)
    approve_review(session, order_id=order.id, actor=OWNER, note="called the customer, fine")
    note = session.scalar(select(ReviewNote).where(ReviewNote.order_id == order.id))
    event = _event(session, order, "review.approved")
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert event.reason == "called the customer, fine"
    assert event.before == {"held": True, "hold_reason": REVIEW_REASON}
    assert event.after == {"held": False, "hold_reason": None}
    assert event.data == {"note_id": note.id}
    assert note.author == ACTOR


def test_cancel_review_records_review_cancelled_with_what_was_chosen(session: Session) -> None:
    _, order, _ = _held(session)
    cancel_review(session, order_id=order.id, actor=OWNER, refund=True, restock=False, note="stolen card")
    note = session.scalar(select(ReviewNote).where(ReviewNote.order_id == order.id))
    actions = [e.action for e in events_for(session, "order", order.id)]
    assert actions[-2:] == ["order.cancelled", "review.cancelled"]
    event = _event(session, order, "review.cancelled")
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert event.reason == "stolen card"
    assert event.before == {"held": True, "hold_reason": REVIEW_REASON, "status": "open"}
    assert event.after == {"held": False, "hold_reason": REVIEW_REASON, "status": "cancelled"}
    assert event.data == {"refund": True, "restock": False, "cancel_reason": "fraud", "note_id": note.id}


def test_add_review_note_records_review_note_added_with_the_text(session: Session) -> None:
    _, order, _ = _held(session)
    note = add_review_note(session, order_id=order.id, actor=OWNER, body="  waiting for a call back ")
    event = _event(session, order, "review.note_added")
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert (event.reason, event.data) == ("waiting for a call back", {"note_id": note.id})


def test_verify_decision_records_verification_required_with_the_step(session: Session) -> None:
    _, order, decision = _screened(session, {"verify": 10, "review": 90})
    row = session.scalar(select(Verification).where(Verification.order_id == order.id))
    event = _event(session, order, "verification.required")
    assert (decision.decision, order.held) == ("verify", False)
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert event.data == {
        "verification_id": row.id,
        "decision_id": decision.id,
        "method": "card_3ds",
        "satisfied_by": row.satisfied_by,
    }
    assert "3-D Secure" in row.satisfied_by


def test_satisfying_a_verification_records_verification_satisfied(session: Session) -> None:
    _, order, decision = _screened(session, {"verify": 10, "review": 90})
    row = session.scalar(select(Verification).where(Verification.order_id == order.id))
    resolve_verification(session, verification_id=row.id, actor=OWNER, status="satisfied")
    event = _event(session, order, "verification.satisfied")
    assert (event.actor, event.subject_type, event.subject_id) == (ACTOR, "order", str(order.id))
    assert (event.before, event.after) == ({"status": "required"}, {"status": "satisfied"})
    assert event.data == {"verification_id": row.id, "decision_id": decision.id, "method": "card_3ds"}
    assert (row.status, row.resolved_by) == ("satisfied", ACTOR)


def test_a_block_that_cannot_cancel_records_the_hold_with_the_block_reason(session: Session) -> None:
    store = make_store(session)
    kari = new_customer(session, store)
    block_customer(session, store, kari, past_order(session, store, kari))
    order = past_order(session, store, kari)
    fulfill_order(session, order_id=order.id, actor=OWNER)
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    reason = "screening said block, but the order cannot be cancelled (fulfillment_active)"
    assert (order.held, order.hold_reason) == (True, reason)
    assert _event(session, order, "order.held").reason == reason


def test_approving_an_order_not_held_is_refused_and_records_nothing(session: Session) -> None:
    store = make_store(session)
    order = past_order(session, store, None)
    before = [e.id for e in events_for(session, "order", order.id)]
    with pytest.raises(Conflict) as err:
        approve_review(session, order_id=order.id, actor=OWNER, note="fine")
    assert err.value.code == "order_not_held"
    assert [e.id for e in events_for(session, "order", order.id)] == before
    assert session.scalar(select(ReviewNote.id).where(ReviewNote.order_id == order.id)) is None
