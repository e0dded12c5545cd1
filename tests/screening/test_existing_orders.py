"""Screening an order that already exists on the platform: block cancels it per the shop's policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.models import AuditEvent
from storeguard.orders.actions import cancel_order, fulfill_order
from storeguard.screening.actions import screen_existing_order, update_screening_settings
from storeguard.screening.models import Decision
from storeguard.screening.velocity_sql import SqlVelocity
from tests.screening.support import OWNER, block_customer, make_store, new_customer, past_order


def _blocked_order(session: Session):  # noqa: ANN202
    store = make_store(session)
    kari = new_customer(session, store)
    evidence = past_order(session, store, kari)
    block_customer(session, store, kari, evidence)
    return store, past_order(session, store, kari, lines=[(store.shirt, 2)])


def test_screen_existing_order_block_cancels_with_refund_and_restock(session: Session) -> None:
    store, order = _blocked_order(session)
    stock = store.shirt.stock
    decision = screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    session.refresh(order)
    session.refresh(store.shirt)
    assert (decision.decision, decision.order_id, decision.source) == ("block", order.id, "integration")
    assert (order.status, order.cancel_reason, order.financial_status) == ("cancelled", "fraud", "refunded")
    assert store.shirt.stock == stock + 2
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "order", AuditEvent.subject_id == str(order.id)
            )
        )
    ]
    assert actions == ["order.screened", "order.cancelled"]


def test_screen_existing_order_follows_the_shops_block_policy(session: Session) -> None:
    store, order = _blocked_order(session)
    update_screening_settings(
        session, shop_id=store.shop.id, actor=OWNER, changes={"on_block": {"refund": False, "restock": False}}
    )
    stock = store.shirt.stock
    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    session.refresh(order)
    session.refresh(store.shirt)
    assert (order.status, order.financial_status, store.shirt.stock) == ("cancelled", "paid", stock)


def test_screen_existing_order_holds_what_can_no_longer_be_cancelled(session: Session) -> None:
    store, order = _blocked_order(session)
    fulfill_order(session, order_id=order.id, actor=OWNER)
    decision = screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    session.refresh(order)
    assert (decision.decision, order.status, order.held) == ("block", "open", True)
    assert "cannot be cancelled (fulfillment_active)" in order.hold_reason
    assert session.scalar(select(Decision.policy_version).where(Decision.id == decision.id)) == 0


def _review_threshold(session: Session, store) -> None:  # noqa: ANN001
    update_screening_settings(
        session, shop_id=store.shop.id, actor=OWNER, changes={"score_thresholds": {"review": 20}}
    )


def test_screen_existing_order_already_held_for_another_reason_updates_the_reason(session: Session) -> None:
    store = make_store(session)
    _review_threshold(session, store)
    order = past_order(session, store, None, email="x@mailinator.com", held=True, hold_reason="held by hand")
    decision = screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    assert (order.held, order.hold_reason) == (True, "screening said review: disposable_email")
    events = events_for(session, "order", order.id)
    assert [e.action for e in events] == ["order.screened", "order.hold_updated"]
    assert (events[1].before, events[1].after) == (
        {"hold_reason": "held by hand"},
        {"hold_reason": "screening said review: disposable_email"},
    )
    assert events[1].data == {"decision_id": decision.id, "decision": "review"}


def test_screen_existing_order_that_is_cancelled_only_records_the_decision(session: Session) -> None:
    store = make_store(session)
    _review_threshold(session, store)
    order = past_order(session, store, None, email="x@mailinator.com")
    cancel_order(
        session,
        order_id=order.id,
        actor=OWNER,
        reason="customer",
        refund=False,
        restock=False,
        notify_customer=False,
    )
    decision = screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())
    assert (decision.decision, order.status, order.held) == ("review", "cancelled", False)
    assert [e.action for e in events_for(session, "order", order.id)] == ["order.cancelled", "order.screened"]
