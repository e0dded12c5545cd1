"""Stored risk kept current as events arrive: writes mark customers stale, the background pass
reassesses them, and what it keeps equals a full recompute. On both databases."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storeguard.core.clock import frozen
from storeguard.disputes.actions import record_dispute_outcome
from storeguard.disputes.models import Dispute
from storeguard.integrations.webhooks.worker import run_pass
from storeguard.lists.blocking import block_customer
from storeguard.orders.actions import cancel_order
from storeguard.orders.fulfillments import fulfill_order, mark_delivered
from storeguard.orders.payments import RefundLineSpec, refund_line_items
from storeguard.risk import freshness, service
from storeguard.risk.actions import _findings, recompute_risk
from storeguard.risk.models import CustomerRisk, StaleRisk
from storeguard.risk.service import assess_shop
from tests.factories import FACTORY_ACTOR, make_customer, make_dispute, make_product, make_shop, place_order

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _stale(session) -> dict[int, int]:
    return dict(session.execute(select(StaleRisk.customer_id, StaleRisk.changes)).all())


def _delivered_order(session, shop, customer, lines, at):
    with frozen(at):
        order = place_order(session, shop, lines, customer=customer)
        fulfillment = fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
    with frozen(at + timedelta(days=1)):
        mark_delivered(session, fulfillment_id=fulfillment.id, actor=FACTORY_ACTOR)
    return order


def _return(session, order, lines, at, *, reason="size_too_large", restock=True):
    with frozen(at):
        return refund_line_items(
            session,
            order_id=order.id,
            actor=FACTORY_ACTOR,
            lines=[RefundLineSpec(line.id, line.quantity, restock) for line in lines],
            reason=reason,
        )


def test_placing_an_order_marks_its_customer_stale_in_the_same_transaction(session):
    shop = make_shop(session)
    customer, other = make_customer(session, shop), make_customer(session, shop)

    place_order(session, shop, [(make_product(session, shop), 1)], customer=customer)

    assert _stale(session) == {customer.id: 1}
    assert other.id not in _stale(session)


def test_a_write_rolled_back_leaves_no_mark(session):
    shop = make_shop(session)
    customer = make_customer(session, shop)
    product = make_product(session, shop)
    session.commit()
    nested = session.begin_nested()
    place_order(session, shop, [(product, 1)], customer=customer)
    nested.rollback()

    assert _stale(session) == {}


def test_the_background_pass_stores_the_finding_and_takes_the_mark_away(session):
    shop = make_shop(session)
    dress = make_product(session, shop, category="apparel", price=80_000)
    customer = make_customer(session, shop)
    order = _delivered_order(session, shop, customer, [(dress, 1), (dress, 1), (dress, 1)], T0)
    _return(session, order, order.line_items[1:], T0 + timedelta(days=8))
    session.commit()

    with frozen(T0 + timedelta(days=9)):
        work = run_pass(session)

    assert work.assessed == 1
    stored = session.get(CustomerRisk, customer.id)
    assert [f["type"] for f in stored.findings] == ["bracketing"]
    assert stored.findings[0]["order_ids"] == [order.id]
    assert _stale(session) == {}


def test_a_refund_marks_the_orders_customer_again_after_a_pass(session):
    shop = make_shop(session)
    shirt = make_product(session, shop, category="apparel", price=40_000)
    customer = make_customer(session, shop)
    order = _delivered_order(session, shop, customer, [(shirt, 1)], T0)
    freshness.refresh_all_stale(session)

    _return(session, order, order.line_items, T0 + timedelta(days=5))

    assert _stale(session) == {customer.id: 1}


def test_an_order_change_risk_does_not_read_marks_nobody(session):
    shop = make_shop(session)
    customer = make_customer(session, shop)
    order = place_order(session, shop, [(make_product(session, shop), 1)], customer=customer)
    freshness.refresh_all_stale(session)

    order.note = "gift wrap"
    session.flush()

    assert _stale(session) == {}


def test_a_mark_made_while_the_customer_is_reassessed_stays_for_the_next_pass(session, monkeypatch):
    shop = make_shop(session)
    product = make_product(session, shop)
    customer = make_customer(session, shop)
    place_order(session, shop, [(product, 1)], customer=customer)
    session.commit()
    read = freshness.read_behaviours

    def read_while_an_order_arrives(*args, **kw):
        behaviours = read(*args, **kw)
        place_order(session, shop, [(product, 1)], customer=customer)  # marks again: changes 2
        return behaviours

    monkeypatch.setattr(freshness, "read_behaviours", read_while_an_order_arrives)

    assert freshness.refresh_stale(session) == 1
    assert _stale(session) == {customer.id: 2}


def test_blocking_a_customer_marks_the_customers_linked_to_them(session):
    shop = make_shop(session)
    blocked, linked, stranger = (make_customer(session, shop) for _ in range(3))
    blocked.cluster_id = linked.cluster_id = blocked.id
    session.flush()
    freshness.refresh_all_stale(session)

    block_customer(
        session,
        customer_id=blocked.id,
        actor=FACTORY_ACTOR,
        reason_code="chargeback_abuse",
        evidence={"notes": ["two chargebacks"]},
        notify=False,
    )

    assert set(_stale(session)) == {blocked.id, linked.id}
    assert stranger.id not in _stale(session)


@pytest.fixture
def no_baseline_memory(monkeypatch):
    """Read the shop's baseline afresh on every reassessment, as a full recompute does."""
    monkeypatch.setattr(service, "BASELINE_TTL", timedelta(0))


def _kept(session, shop_id):
    return {
        r.customer_id: (r.score, r.suggested, r.findings, r.contributions)
        for r in session.scalars(select(CustomerRisk).where(CustomerRisk.shop_id == shop_id))
    }


def _full(session, shop_id):
    return {
        cid: (
            a.score,
            str(a.segment),
            _findings(a),
            [{"type": str(c.type), "points": c.points, "words": c.words} for c in a.contributions],
        )
        for cid, a in assess_shop(session, shop_id).items()
    }


def test_values_kept_through_a_sequence_of_events_equal_a_full_recompute(session, no_baseline_memory):
    shop = make_shop(session)
    dress = make_product(session, shop, category="apparel", price=80_000)
    cap = make_product(session, shop, category="accessories", price=9_000)
    bracketer, returner, claimer, disputer, honest, evader = (make_customer(session, shop) for _ in range(6))
    for i in range(4):
        _delivered_order(session, shop, honest, [(cap, 1)], T0 + timedelta(days=10 * i))
    recompute_risk(session, shop_id=shop.id)
    session.commit()

    steps = []
    o = _delivered_order(session, shop, bracketer, [(dress, 1), (dress, 1), (dress, 1)], T0)
    steps.append(lambda: _return(session, o, o.line_items[1:], T0 + timedelta(days=6)))
    for i in range(6):
        ret = _delivered_order(session, shop, returner, [(dress, 1)], T0 + timedelta(days=12 * i))
        if i != 2:
            steps.append(
                lambda ret=ret, i=i: _return(session, ret, ret.line_items, T0 + timedelta(days=12 * i + 5))
            )
    for i in range(3):
        c = _delivered_order(session, shop, claimer, [(cap, 1)], T0 + timedelta(days=9 * i))
        c.tags = ["claim:item_not_received"]
    d1 = _delivered_order(session, shop, disputer, [(dress, 1)], T0)
    d2 = _delivered_order(session, shop, disputer, [(dress, 1)], T0 + timedelta(days=20))
    disputes = [make_dispute(session, d1, status="lost"), make_dispute(session, d2)]
    steps.append(
        lambda: record_dispute_outcome(
            session, dispute_id=disputes[1].id, actor=FACTORY_ACTOR, outcome="lost"
        )
    )
    with frozen(T0 + timedelta(days=30)):
        cancelled = place_order(session, shop, [(cap, 1)], customer=honest)
    steps.append(
        lambda: cancel_order(
            session,
            order_id=cancelled.id,
            actor=FACTORY_ACTOR,
            reason="customer",
            refund=True,
            restock=True,
            notify_customer=False,
        )
    )
    _delivered_order(session, shop, evader, [(cap, 1)], T0)
    evader.cluster_id = disputer.cluster_id = disputer.id
    steps.append(
        lambda: block_customer(
            session,
            customer_id=disputer.id,
            actor=FACTORY_ACTOR,
            reason_code="chargeback_abuse",
            evidence={"notes": ["lost chargebacks"]},
            notify=False,
        )
    )
    at = T0 + timedelta(days=120)
    with frozen(at):
        session.commit()
        freshness.refresh_all_stale(session)
        for step in steps:
            step()
            session.commit()
            freshness.refresh_all_stale(session)

        kept, full = _kept(session, shop.id), _full(session, shop.id)

    assert _stale(session) == {}
    assert {cid: kept[cid] for cid in full} == full
    assert [f["type"] for f in kept[evader.id][2]] == ["evasion"]
    assert {f["type"] for f in kept[disputer.id][2]} == {"chargeback_abuse"}


def test_a_dispute_on_an_order_not_read_in_this_session_marks_the_orders_customer(session):
    shop = make_shop(session)
    customer = make_customer(session, shop)
    order = place_order(session, shop, [(make_product(session, shop), 1)], customer=customer)
    freshness.refresh_all_stale(session)
    order_id, total = order.id, order.total
    session.expunge(order)

    session.add(
        Dispute(
            gateway="stripe",
            gateway_dispute_id="dp_elsewhere",
            order_id=order_id,
            amount=total,
            currency="NOK",
            status="needs_response",
        )
    )
    session.flush()

    assert _stale(session) == {customer.id: 1}
