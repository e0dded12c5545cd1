"""Behaviour read from real rows on both databases, and the findings it gives."""

from datetime import UTC, datetime, timedelta

from storeguard.core.clock import frozen
from storeguard.lists.blocking import block_customer
from storeguard.orders.fulfillments import fulfill_order, mark_delivered
from storeguard.orders.payments import RefundLineSpec, refund_line_items
from storeguard.risk.enums import FindingType, Segment
from storeguard.risk.service import assess_customer, read_behaviours, shop_figures
from tests.factories import FACTORY_ACTOR, make_customer, make_product, make_shop, place_order

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _delivered_order(session, shop, customer, lines, at):
    """Place, ship and deliver an order at ``at`` (delivered a day later)."""
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


def test_bracketer_who_kept_one_size_of_three_is_flagged_with_the_order_as_evidence(session):
    shop = make_shop(session)
    dress = make_product(session, shop, category="apparel", price=80_000)
    customer = make_customer(session, shop)
    order = _delivered_order(session, shop, customer, [(dress, 1), (dress, 1), (dress, 1)], T0)
    refund = _return(session, order, order.line_items[1:], T0 + timedelta(days=8))

    assessment = assess_customer(session, customer.id)

    [finding] = assessment.findings
    assert finding.type is FindingType.bracketing
    assert finding.order_ids == (order.id,)
    assert finding.refund_ids == (refund.id,)
    assert (assessment.score, assessment.segment) == (18, Segment.neutral)  # one order: noted, not watched


def test_good_customer_who_returned_2_of_9_orders_is_not_flagged(session):
    shop = make_shop(session)
    shirt = make_product(session, shop, category="apparel", price=40_000)
    customer = make_customer(session, shop)
    orders = [
        _delivered_order(session, shop, customer, [(shirt, 1)], T0 + timedelta(days=20 * i)) for i in range(9)
    ]
    for o in (orders[1], orders[5]):
        _return(session, o, o.line_items, o.created_at + timedelta(days=9))

    assessment = assess_customer(session, customer.id)

    assert assessment.findings == ()
    assert (assessment.summary.delivered, assessment.summary.orders_returned) == (9, 2)
    assert assessment.segment is Segment.good


def test_behaviour_of_a_shop_is_read_for_every_customer_at_once(session):
    shop = make_shop(session)
    cap = make_product(session, shop, category="accessories", price=20_000)
    claimer, other = make_customer(session, shop), make_customer(session, shop)
    claimed = []
    for i in range(3):
        o = _delivered_order(session, shop, claimer, [(cap, 1)], T0 + timedelta(days=10 * i))
        o.tags = ["claim:item_not_received"] if i != 1 else []
        if i != 1:
            claimed.append(o.id)
    _delivered_order(session, shop, other, [(cap, 1)], T0)
    session.flush()

    behaviours = read_behaviours(session, shop.id)

    assert set(behaviours) == {claimer.id, other.id}
    assert len(behaviours[claimer.id].orders) == 3
    found = assess_customer(session, claimer.id).findings
    assert [(f.type, f.order_ids) for f in found] == [(FindingType.not_received_claims, tuple(claimed))]


def test_a_customer_linked_to_a_blocked_one_is_read_with_whether_their_mail_address_is_throw_away(session):
    shop = make_shop(session)
    blocked = make_customer(session, shop)
    throw_away = make_customer(session, shop, email="kari@mailinator.com")
    ordinary = make_customer(session, shop, email="kari@gmail.com")
    blocked.cluster_id = throw_away.cluster_id = ordinary.cluster_id = blocked.id
    cap = make_product(session, shop, category="accessories", price=20_000)
    for c in (blocked, throw_away, ordinary):
        _delivered_order(session, shop, c, [(cap, 1)], T0)
    block_customer(
        session,
        customer_id=blocked.id,
        actor=FACTORY_ACTOR,
        reason_code="chargeback_abuse",
        evidence={"notes": ["two chargebacks"]},
        notify=False,
    )

    behaviours = read_behaviours(session, shop.id)

    assert (behaviours[throw_away.id].disposable_email, behaviours[ordinary.id].disposable_email) == (
        True,
        False,
    )


def test_each_orders_units_are_read_for_serial_returning(session):
    shop = make_shop(session)
    shirt = make_product(session, shop, category="apparel", price=40_000)
    cap = make_product(session, shop, category="accessories", price=20_000)
    customer = make_customer(session, shop)
    order = _delivered_order(session, shop, customer, [(shirt, 2), (cap, 1)], T0)

    [facts] = read_behaviours(session, shop.id)[customer.id].orders

    assert (facts.id, facts.units) == (order.id, 3)


def test_the_shop_return_rate_counts_orders_mostly_sent_back_alike_in_both_reads(session):
    shop = make_shop(session)
    shirt = make_product(session, shop, category="apparel", price=40_000)
    cap = make_product(session, shop, category="accessories", price=20_000)
    customer = make_customer(session, shop)
    kept_most = _delivered_order(session, shop, customer, [(shirt, 1), (cap, 1)], T0)
    sent_back = _delivered_order(session, shop, customer, [(shirt, 1), (cap, 1)], T0 + timedelta(days=1))
    _return(session, kept_most, kept_most.line_items[:1], T0 + timedelta(days=8))
    _return(session, sent_back, sent_back.line_items, T0 + timedelta(days=9))

    full = read_behaviours(session, shop.id)[customer.id].shop_return_rate

    assert (full, shop_figures(session, shop.id)[1]) == (0.5, 0.5)
