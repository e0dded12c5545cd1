"""The detectors, score and segment over hand-built behaviour records: no database."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from storeguard.risk.enums import FindingType, Segment
from storeguard.risk.policy import (
    Behaviour,
    BlockLink,
    DisputeFacts,
    OrderFacts,
    RefundFacts,
    assess,
    detect,
    detect_bracketing,
    detect_chargeback_abuse,
    detect_evasion,
    detect_late_claims,
    detect_low_value_refunds,
    detect_not_received_claims,
    detect_serial_returning,
    detect_wardrobing,
    likelihood_ratio,
    mostly_sent_back,
    recency_weight,
    settled_orders,
    shop_return_rate,
    still_open,
    weighted_return_ratios,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = T0 + timedelta(days=400)


def order(i: int, *, total: int = 50_000, delivered: bool = True, **kw) -> OrderFacts:
    at = T0 + timedelta(days=i * 10)
    return OrderFacts(
        id=i, total=total, created_at=at, delivered_at=at + timedelta(days=2) if delivered else None, **kw
    )


def returned(
    rid: int, o: OrderFacts, *, after_days: float = 10, amount: int | None = None, **kw
) -> RefundFacts:
    kw.setdefault("units", 1)
    kw.setdefault("restocked_units", kw["units"])
    return RefundFacts(
        id=rid,
        order_id=o.id,
        amount=o.total if amount is None else amount,
        created_at=o.delivered_at + timedelta(days=after_days),
        reason=kw.pop("reason", "size_too_small"),
        **kw,
    )


def behaviour(orders, refunds=(), **kw) -> Behaviour:
    kw.setdefault("shop_median_total", 100_000)
    kw.setdefault("shop_return_rate", 0.1)
    kw.setdefault("as_of", AS_OF)
    return Behaviour(customer_id=1, orders=list(orders), refunds=list(refunds), **kw)


def test_good_customer_who_returned_2_of_9_orders_is_not_flagged():
    orders = [order(i, wearable=True) for i in range(1, 10)]
    b = behaviour(orders, [returned(1, orders[2]), returned(2, orders[6])])

    a = assess(b)

    assert a.findings == ()
    assert a.score == 0
    assert a.segment is Segment.good


def test_serial_returner_over_enough_orders_is_flagged_with_every_returned_order():
    orders = [order(i) for i in range(1, 9)]
    refunds = [returned(10 + i, orders[i - 1], amount=40_000) for i in (1, 2, 4, 5, 7, 8)]

    finding = detect_serial_returning(behaviour(orders, refunds))

    assert finding is not None
    assert finding.order_ids == (1, 2, 4, 5, 7, 8)
    assert finding.refund_ids == (11, 12, 14, 15, 17, 18)
    assert finding.words == "return ratio 60 % by value, most of 6 of 8 delivered orders sent back (the shop: 10 %)"
    assert finding.thresholds["honest_rate"] == 0.2


def test_three_of_five_orders_sent_back_is_serial_returning_where_the_shop_sees_nine_in_a_hundred_back():
    orders = [order(i) for i in range(1, 6)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 3, 5)]

    finding = detect_serial_returning(behaviour(orders, refunds, shop_return_rate=0.09))

    assert finding is not None
    assert finding.order_ids == (1, 3, 5)
    assert (finding.thresholds["honest_rate"], finding.thresholds["likelihood_ratio"]) == (0.18, 7.9)


def test_a_serial_returner_who_kept_their_two_largest_orders_whole_is_still_flagged():
    orders = [order(i, total=150_000 if i in (2, 4) else 50_000) for i in range(1, 6)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 3, 5)]

    finding = detect_serial_returning(behaviour(orders, refunds, shop_return_rate=0.09))

    assert finding is not None
    assert finding.thresholds["ratio_by_value"] == 0.334  # a third of the value, recent orders weighing more


def test_sending_back_only_the_cheap_orders_is_not_serial_returning():
    orders = [order(i, total=300_000 if i in (2, 4) else 50_000) for i in range(1, 6)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 3, 5)]

    assert detect_serial_returning(behaviour(orders, refunds, shop_return_rate=0.09)) is None


def test_a_shop_that_rarely_sees_returns_weighs_a_record_against_the_honest_floor():
    orders = [order(i) for i in range(1, 6)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 3, 5)]

    finding = detect_serial_returning(behaviour(orders, refunds, shop_return_rate=0.02))

    assert finding is not None
    assert finding.thresholds["honest_rate"] == 0.15


def test_two_returns_of_two_orders_are_too_few_orders_for_serial_returning():
    orders = [order(i) for i in range(1, 3)]

    finding = detect_serial_returning(behaviour(orders, [returned(i, o) for i, o in enumerate(orders)]))

    assert finding is None


def test_bracketer_who_kept_one_size_of_three_is_flagged():
    o = order(1, wearable=True, bracket_units=3, bracket_returned=2)
    b = behaviour([o, order(2)], [returned(7, o, units=2, amount=30_000)])

    finding = detect_bracketing(b)

    assert finding is not None
    assert finding.type is FindingType.bracketing
    assert finding.order_ids == (1,)
    assert finding.refund_ids == (7,)
    assert finding.confidence == 0.5


def test_two_sizes_once_with_one_sent_back_is_not_bracketing():
    o = order(1, wearable=True, bracket_units=2, bracket_returned=1)

    assert detect_bracketing(behaviour([o], [returned(7, o)])) is None


def test_bracketing_in_two_orders_is_more_certain():
    a = order(1, bracket_units=2, bracket_returned=1)
    b = order(2, bracket_units=3, bracket_returned=2)

    finding = detect_bracketing(behaviour([a, b], [returned(5, a), returned(6, b, units=2)]))

    assert finding is not None
    assert (finding.order_ids, finding.confidence) == ((1, 2), 0.75)


def test_wardrober_returns_late_in_the_window_are_flagged():
    orders = [order(i, wearable=True, occasion=True) for i in range(1, 5)]
    refunds = [returned(20 + i, orders[i - 1], after_days=26) for i in (1, 2, 3)]

    finding = detect_wardrobing(behaviour(orders, refunds))

    assert finding is not None
    assert finding.order_ids == (1, 2, 3)
    assert finding.refund_ids == (21, 22, 23)
    assert finding.thresholds["late_days"] == 21.0
    assert "3 of 3 returns came back late" in finding.words


def test_returns_early_in_the_window_in_good_condition_are_not_wardrobing():
    orders = [order(i, wearable=True, occasion=True) for i in range(1, 5)]
    refunds = [returned(20 + i, orders[i - 1], after_days=8) for i in (1, 2, 3)]

    assert detect_wardrobing(behaviour(orders, refunds)) is None


def test_worn_occasion_clothing_returns_count_as_wardrobing():
    orders = [order(i, wearable=True, occasion=True) for i in range(1, 4)]
    refunds = [returned(30 + i, orders[i - 1], after_days=9, units=1, restocked_units=0) for i in (1, 2)]

    finding = detect_wardrobing(behaviour(orders, refunds))

    assert finding is not None and finding.order_ids == (1, 2)


def test_two_worn_returns_of_everyday_clothing_returned_early_are_not_wardrobing():
    orders = [order(i, wearable=True) for i in range(1, 4)]
    refunds = [returned(30 + i, orders[i - 1], after_days=9, units=1, restocked_units=0) for i in (1, 2)]

    assert detect_wardrobing(behaviour(orders, refunds)) is None


def test_four_worn_returns_of_everyday_clothing_are_wardrobing():
    orders = [order(i, wearable=True) for i in range(1, 5)]
    refunds = [
        returned(30 + i, orders[i - 1], after_days=9, units=1, restocked_units=0) for i in (1, 2, 3, 4)
    ]

    assert detect_wardrobing(behaviour(orders, refunds)).order_ids == (1, 2, 3, 4)


def test_small_orders_refunded_without_a_return_are_flagged():
    orders = [order(i, total=30_000) for i in range(1, 6)]
    refunds = [
        RefundFacts(
            id=40 + i, order_id=i, amount=30_000, created_at=T0 + timedelta(days=i * 10 + 4), reason="damaged"
        )
        for i in (1, 3, 4)
    ]

    finding = detect_low_value_refunds(behaviour(orders, refunds))

    assert finding is not None
    assert finding.order_ids == (1, 3, 4)
    assert finding.refund_ids == (41, 43, 44)
    assert finding.thresholds["small_order_limit"] == 60_000


def test_a_large_order_refunded_as_damaged_is_not_low_value_abuse():
    orders = [order(i, total=400_000) for i in range(1, 4)]
    refunds = [
        RefundFacts(
            id=40 + i,
            order_id=i,
            amount=400_000,
            created_at=T0 + timedelta(days=i * 10 + 4),
            reason="damaged",
        )
        for i in (1, 2)
    ]

    assert detect_low_value_refunds(behaviour(orders, refunds)) is None


def test_repeated_not_received_claims_on_delivered_orders_are_flagged():
    orders = [
        order(1, tags=("claim:item_not_received",)),
        order(2),
        order(3, tags=("claim:item_not_received",)),
    ]

    finding = detect_not_received_claims(behaviour(orders))

    assert finding is not None
    assert (finding.order_ids, finding.confidence) == ((1, 3), 0.75)


def test_a_parcel_lost_before_delivery_is_not_a_claim_against_the_customer():
    orders = [
        order(1, delivered=False, tags=("claim:item_not_received",)),
        order(2, delivered=False, tags=("claim:item_not_received",)),
    ]

    assert detect_not_received_claims(behaviour(orders)) is None


def test_two_chargebacks_on_delivered_orders_are_abuse_and_one_is_a_watch():
    orders = [order(1), order(2), order(3)]
    two = behaviour(orders, disputes=[DisputeFacts(1, 50_000, id=8), DisputeFacts(3, 50_000, id=9)])
    one = behaviour(orders, disputes=[DisputeFacts(2, 50_000, id=8)])

    assert detect_chargeback_abuse(two).dispute_ids == (8, 9)
    assert detect_chargeback_abuse(two).confidence == 0.9
    assert detect_chargeback_abuse(one).confidence == 0.6


def test_a_link_through_the_shops_link_types_to_a_blocked_customer_is_evasion():
    b = behaviour([order(1)], links=[BlockLink(77, 5, "cluster"), BlockLink(78, 6, "shipping_address")])

    finding = detect_evasion(b)

    assert (finding.customer_ids, finding.confidence) == ((77,), 0.95)


def test_a_shared_address_alone_is_too_weak_to_report():
    b = behaviour([order(1)], links=[BlockLink(78, 6, "shipping_address")])

    a = assess(b)

    assert a.findings[0].confidence == 0.4
    assert a.reported() == set()
    assert (a.score, a.segment) == (0, Segment.good)


def test_bracketer_is_not_also_called_a_serial_returner():
    orders = [order(i, bracket_units=3, bracket_returned=2) for i in range(1, 7)]

    found = detect(behaviour(orders, [returned(10 + o.id, o, units=2) for o in orders]))

    assert [f.type for f in found] == [FindingType.bracketing]


def test_score_adds_each_finding_in_words_and_suggests_a_segment():
    orders = [order(1), order(2), order(3)]
    b = behaviour(orders, disputes=[DisputeFacts(1, 50_000, id=8), DisputeFacts(3, 50_000, id=9)])

    a = assess(b)

    assert a.score == 54
    assert [c.words for c in a.contributions] == ["2 chargebacks on orders the carrier shows delivered: +54"]
    assert a.segment is Segment.restricted


def test_four_returns_in_five_orders_are_25_times_likelier_from_an_abuser_than_a_choosy_customer():
    assert round(likelihood_ratio(4, 5, 0.7, 0.25), 1) == 24.6


def test_three_returns_in_five_orders_are_not_enough_to_tell_an_abuser_from_a_choosy_customer():
    orders = [order(i) for i in range(1, 6)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 2, 3)]

    assert detect_serial_returning(behaviour(orders, refunds, shop_return_rate=0.125)) is None


def test_three_returns_of_three_orders_are_serial_returning():
    orders = [order(i) for i in range(1, 4)]

    finding = detect_serial_returning(behaviour(orders, [returned(i, o) for i, o in enumerate(orders)]))

    assert finding.confidence == 0.88
    assert finding.thresholds["likelihood_ratio"] == 42.9


def test_honest_heavy_returner_who_keeps_most_of_the_value_is_not_a_serial_returner():
    orders = [order(i) for i in range(1, 11)]
    # 6 of 10 orders with a return, but one small item each: 20 % of the money came back.
    refunds = [returned(10 + i, orders[i - 1], amount=10_000) for i in (1, 2, 4, 5, 7, 8)]

    assert detect_serial_returning(behaviour(orders, refunds)) is None


def test_an_order_of_two_sizes_with_one_kept_counts_as_kept_for_serial_returning():
    orders = [order(1), order(2), order(3, bracket_units=2, bracket_returned=1)]
    refunds = [returned(1, orders[0]), returned(2, orders[1]), returned(3, orders[2], amount=25_000)]

    # Three of three sent back would be serial returning (see the test of three returns below).
    assert detect_serial_returning(behaviour(orders, refunds)) is None


def test_an_order_of_two_sizes_with_both_sent_back_counts_as_sent_back_for_serial_returning():
    orders = [order(1), order(2), order(3, bracket_units=2, bracket_returned=2)]
    refunds = [returned(1, orders[0]), returned(2, orders[1]), returned(3, orders[2], units=2)]

    finding = detect_serial_returning(behaviour(orders, refunds))

    assert finding.order_ids == (1, 2, 3)


def test_an_order_of_two_sizes_whose_other_lines_came_back_too_counts_as_sent_back():
    orders = [order(1), order(2), order(3, bracket_units=2, bracket_returned=1)]
    refunds = [returned(1, orders[0]), returned(2, orders[1]), returned(3, orders[2], units=2)]

    assert detect_serial_returning(behaviour(orders, refunds)).order_ids == (1, 2, 3)


def test_an_order_with_one_of_two_units_sent_back_is_not_mostly_sent_back():
    orders = [order(1, units=2), order(2, units=2)]
    refunds = [returned(1, orders[0], units=1), returned(2, orders[1], units=2)]

    assert mostly_sent_back(behaviour(orders, refunds)) == {2}


def test_an_order_whose_units_are_not_known_is_judged_by_the_value_sent_back():
    orders = [order(1), order(2)]  # no units read
    refunds = [returned(1, orders[0], amount=25_000), returned(2, orders[1], amount=30_000)]

    assert mostly_sent_back(behaviour(orders, refunds)) == {2}


def test_a_choosy_customer_who_sends_back_one_item_of_two_from_most_orders_is_not_a_serial_returner():
    orders = [order(i, units=2) for i in range(1, 6)]
    # 4 of 5 orders with a return, 80 % of the money back, but one item of two kept each time.
    refunds = [returned(10 + i, orders[i - 1], units=1, amount=40_000) for i in (1, 2, 3, 4)]

    assert detect_serial_returning(behaviour(orders, refunds)) is None


def test_the_shop_return_rate_counts_the_orders_mostly_sent_back():
    orders = [order(i, units=2) for i in range(1, 5)]
    refunds = [returned(1, orders[0], units=1), returned(2, orders[1], units=2)]

    assert shop_return_rate([behaviour(orders, refunds)]) == 0.25


def test_customer_who_keeps_most_orders_is_not_a_serial_returner_however_much_each_return_is_worth():
    orders = [order(i) for i in range(1, 13)]
    refunds = [returned(10 + i, orders[i - 1]) for i in (1, 4, 7, 10, 12)]  # 5 of 12, in full

    assert detect_serial_returning(behaviour(orders, refunds)) is None


def test_an_order_inside_its_return_window_with_nothing_back_is_not_settled_yet():
    orders = [order(1), order(5)]
    b = behaviour(orders, as_of=orders[1].delivered_at + timedelta(days=5))

    assert [o.id for o in settled_orders(b)] == [1]


def test_an_order_inside_its_return_window_that_came_back_is_settled():
    orders = [order(1), order(5)]
    b = behaviour(
        orders, [returned(5, orders[1], after_days=2)], as_of=orders[1].delivered_at + timedelta(days=5)
    )

    assert [o.id for o in settled_orders(b)] == [1, 5]


def test_an_order_delivered_one_half_life_ago_weighs_half():
    o = order(1)

    assert recency_weight(o, o.delivered_at + timedelta(days=180), 180) == 0.5


def test_recent_returns_weigh_more_than_old_kept_orders():
    old = [order(i) for i in range(1, 5)]  # kept, a year before the returns
    recent = [order(i) for i in range(30, 34)]
    refunds = [returned(100 + o.id, o) for o in recent]

    by_count, by_value = weighted_return_ratios(behaviour(old + recent, refunds))

    assert round(by_count, 3) == round(by_value, 3) == 0.753  # half of the orders, unweighted


def _kept_order_after(orders: list[OrderFacts], total: int, age_days: int) -> OrderFacts:
    delivered = AS_OF - timedelta(days=age_days)
    return OrderFacts(
        id=max(o.id for o in orders) + 1,
        total=total,
        created_at=delivered - timedelta(days=2),
        delivered_at=delivered,
    )


@given(
    st.lists(st.tuples(st.integers(1, 200_000), st.booleans(), st.integers(0, 100)), min_size=1, max_size=12),
    st.integers(1, 200_000),
    st.integers(31, 700),
)
def test_adding_a_kept_order_never_raises_the_return_ratio(history, total, age_days):
    orders = [order(i + 1, total=t) for i, (t, _, _) in enumerate(history)]
    refunds = [
        returned(100 + o.id, o, amount=o.total * share // 100)
        for o, (_, back, share) in zip(orders, history, strict=True)
        if back
    ]
    before = weighted_return_ratios(behaviour(orders, refunds))

    after = weighted_return_ratios(behaviour([*orders, _kept_order_after(orders, total, age_days)], refunds))

    assert after[0] <= before[0] + 1e-12
    assert after[1] <= before[1] + 1e-12


@given(
    st.lists(st.tuples(st.integers(0, 200_000), st.booleans(), st.integers(0, 150)), min_size=0, max_size=12)
)
def test_return_ratios_stay_between_0_and_1(history):
    orders = [order(i + 1, total=t) for i, (t, _, _) in enumerate(history)]
    refunds = [
        returned(100 + o.id, o, amount=o.total * share // 100)
        for o, (_, back, share) in zip(orders, history, strict=True)
        if back
    ]

    by_count, by_value = weighted_return_ratios(behaviour(orders, refunds))

    assert 0 <= by_count <= 1
    assert 0 <= by_value <= 1


def test_one_chargeback_the_shop_won_is_abuse_on_its_own():
    b = behaviour([order(1)], disputes=[DisputeFacts(1, 50_000, id=8, lost=False)])

    finding = detect_chargeback_abuse(b)

    assert finding.confidence == 0.75
    assert finding.words == "1 chargebacks on orders the carrier shows delivered, 1 won by the shop"


def test_one_chargeback_denying_a_confirmed_delivery_is_abuse_on_its_own():
    b = behaviour([order(1)], disputes=[DisputeFacts(1, 50_000, id=8, reason="product_not_received")])

    assert detect_chargeback_abuse(b).confidence == 0.75


def test_one_chargeback_lost_as_fraud_is_too_weak_to_report():
    b = behaviour([order(1)], disputes=[DisputeFacts(1, 50_000, id=8, reason="fraudulent")])

    assert detect_chargeback_abuse(b).confidence == 0.45
    assert assess(b).reported() == set()


def test_a_won_chargeback_adds_to_several():
    orders = [order(1), order(2)]
    b = behaviour(orders, disputes=[DisputeFacts(1, 50_000, id=8, lost=False), DisputeFacts(2, 50_000, id=9)])

    assert detect_chargeback_abuse(b).confidence == 0.95


def test_a_shared_address_with_a_blocked_customer_and_abuse_of_ones_own_is_evasion():
    orders = [order(1), order(2)]
    b = behaviour(
        orders,
        disputes=[DisputeFacts(1, 50_000, id=8), DisputeFacts(2, 50_000, id=9)],
        links=[BlockLink(78, 6, "shipping_address")],
    )

    finding = next(f for f in assess(b).findings if f.type is FindingType.evasion)

    assert finding.confidence == 0.7
    assert finding.words == (
        "linked to blocked customer 78 through shipping_address, with findings of their own (chargeback abuse)"
    )


def test_a_finding_below_the_report_confidence_does_not_make_a_shared_address_evasion():
    b = behaviour(
        [order(1)],
        disputes=[DisputeFacts(1, 50_000, id=8, reason="fraudulent")],
        links=[BlockLink(78, 6, "shipping_address")],
    )

    finding = next(f for f in assess(b).findings if f.type is FindingType.evasion)

    assert finding.confidence == 0.4


def test_bracketed_orders_not_delivered_yet_do_not_count_as_kept():
    sent_back = order(1, wearable=True, bracket_units=3, bracket_returned=3)
    on_the_way = [order(i, delivered=False, bracket_units=3) for i in (2, 3)]
    refunds = [returned(5, sent_back, units=3)]

    finding = detect_bracketing(behaviour([sent_back, *on_the_way], refunds))

    assert (finding.order_ids, finding.confidence) == ((1,), 0.5)


def _claim(rid: int, o: OrderFacts, reason: str, after_days: float) -> RefundFacts:
    return RefundFacts(
        id=rid,
        order_id=o.id,
        amount=o.total,
        created_at=o.delivered_at + timedelta(days=after_days),
        reason=reason,
    )


def test_two_late_claims_of_a_wrong_address_or_duplicate_order_are_reported():
    orders = [order(1), order(2), order(3)]
    refunds = [_claim(7, orders[0], "wrong_address", 5), _claim(8, orders[2], "duplicate_order", 9)]

    finding = detect_late_claims(behaviour(orders, refunds))

    assert (finding.order_ids, finding.refund_ids, finding.confidence) == ((1, 3), (7, 8), 0.75)
    assert finding.words == (
        "2 claims of a wrong address, a duplicate order or a site error made after the parcel was delivered"
    )


def test_one_late_claim_is_shown_below_the_report_confidence():
    orders = [order(1), order(2)]
    b = behaviour(orders, [_claim(7, orders[0], "site_error", 5)])

    assert detect_late_claims(b).confidence == 0.4
    assert assess(b).reported() == set()


def test_a_duplicate_order_refunded_on_the_day_it_arrived_is_not_a_late_claim():
    orders = [order(1), order(2)]
    refunds = [_claim(7, orders[0], "duplicate_order", 0.5), _claim(8, orders[1], "duplicate_order", 1)]

    assert detect_late_claims(behaviour(orders, refunds)) is None


def test_an_order_tagged_with_a_claim_once_delivered_counts_as_a_late_claim():
    orders = [order(1, tags=("claim:wrong_address",)), order(2, tags=("claim:site_error",)), order(3)]

    assert detect_late_claims(behaviour(orders)).order_ids == (1, 2)


def test_a_claim_on_an_order_not_delivered_is_not_a_late_claim():
    orders = [order(1, delivered=False, tags=("claim:wrong_address",))]

    assert detect_late_claims(behaviour(orders)) is None


def _orders_in_the_last_weeks(count: int) -> list[OrderFacts]:
    """``count`` orders delivered on consecutive days, the last one a day before AS_OF."""
    out = []
    for i in range(count):
        delivered = AS_OF - timedelta(days=count - i)
        out.append(
            OrderFacts(
                id=i + 1, total=50_000, created_at=delivered - timedelta(days=2), delivered_at=delivered
            )
        )
    return out


def test_a_new_customer_whose_first_returns_came_back_while_most_orders_are_still_open_is_not_a_serial_returner():
    orders = _orders_in_the_last_weeks(24)  # all inside the 30-day window
    refunds = [returned(100 + o.id, o, after_days=3) for o in orders[:3]]

    b = behaviour(orders, refunds)

    assert [o.id for o in settled_orders(b)] == [1, 2, 3]
    assert detect_serial_returning(b) is None


def test_an_open_order_counts_as_kept_as_far_as_its_window_has_run():
    orders = _orders_in_the_last_weeks(24)[:1]  # delivered 24 days before AS_OF: 24 of 30 days run

    assert still_open(behaviour(orders)) == [(orders[0], 0.8)]


def test_serial_returner_with_recent_orders_still_open_is_flagged_and_told_so():
    old = [order(i) for i in range(1, 6)]
    refunds = [returned(100 + o.id, o) for o in old]
    recent = OrderFacts(
        id=50, total=50_000, created_at=AS_OF - timedelta(days=5), delivered_at=AS_OF - timedelta(days=3)
    )

    finding = detect_serial_returning(behaviour([*old, recent], refunds))

    assert finding.words.endswith(
        "most of 5 of 5 delivered orders sent back (the shop: 10 %); 1 more still inside the return window"
    )


def test_a_shared_address_with_a_blocked_customer_and_a_throw_away_mail_address_is_evasion():
    b = behaviour([order(1)], links=[BlockLink(78, 6, "shipping_address")], disposable_email=True)

    finding = detect_evasion(b)

    assert finding.confidence == 0.7
    assert finding.words == (
        "linked to blocked customer 78 through shipping_address, signed up with a throw-away mail address"
    )


def test_a_throw_away_mail_address_without_a_link_to_a_blocked_customer_is_no_evasion():
    assert detect_evasion(behaviour([order(1)], disposable_email=True)) is None
