"""Segments: where a customer's history places them, and the reason each segment gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeguard.screening.engine import _segment_reasons
from storeguard.screening.policy import (
    CustomerMetrics,
    merged_settings,
    orders_counted,
    segment_for,
    segment_key,
)

SEGMENTS = merged_settings(None)["segments"]
VIP_SPENT = 100_000  # 1000.00, the default vip min_spent in minor units


def place(
    segments: dict[str, Any] | None = None, *, blocked: bool = False, min_spent_vip: int = VIP_SPENT, **m: int
) -> str:
    return segment_for(
        CustomerMetrics(**m), segments or SEGMENTS, blocked=blocked, min_spent_vip=min_spent_vip
    )


def loyal(**over: int) -> dict[str, int]:
    """A customer of 12 orders and 2000.00 who returned nothing: vip by the defaults."""
    return {"orders_count": 12, "total_spent": 200_000, "items_bought": 20} | over


def test_segment_for_a_new_customer_is_neutral() -> None:
    assert place() == "neutral"


def test_segment_for_a_blocked_customer_is_blocked_whatever_their_history() -> None:
    assert place(blocked=True, **loyal()) == "blocked"


@pytest.mark.parametrize(
    "history",
    [
        {"items_bought": 10, "items_returned": 6},  # return ratio 0.6
        {"chargebacks": 2},
    ],
)
def test_segment_for_restricts_a_high_return_ratio_or_repeated_chargebacks(history: dict[str, int]) -> None:
    assert place(**loyal(**history)) == "restricted"


@pytest.mark.parametrize(
    "history",
    [
        {"items_bought": 10, "items_returned": 3},  # return ratio 0.3
        {"refunded_amount": 60_000},  # 0.3 of 200_000 spent
        {"chargebacks": 1},
        {"cancellations": 3},
    ],
)
def test_segment_for_watches_returns_refunds_chargebacks_or_cancellations(history: dict[str, int]) -> None:
    assert place(**loyal(**history)) == "watch"


def test_segment_for_stays_below_the_watch_thresholds() -> None:
    history = {"items_bought": 10, "items_returned": 1, "refunded_amount": 50_000, "cancellations": 2}
    assert place(**loyal(**history)) == "vip"


def test_segment_for_vip_needs_orders_spend_and_few_returns() -> None:
    assert place(**loyal()) == "vip"
    assert place(**loyal(total_spent=99_999)) == "good"
    assert place(**loyal(orders_count=9)) == "good"
    assert place(**loyal(items_bought=10, items_returned=2)) == "good"  # 0.2: too many for vip


def test_segment_for_good_needs_three_orders_and_few_returns() -> None:
    assert place(orders_count=3, total_spent=9_000, items_bought=5) == "good"
    assert place(orders_count=2, total_spent=9_000, items_bought=5) == "neutral"
    assert place(orders_count=3, total_spent=9_000, items_bought=4, items_returned=1) == "neutral"  # 0.25


def test_segment_for_uses_the_merchants_thresholds() -> None:
    strict = merged_settings({"segments": {"watch": {"cancellations": 1}, "good": {"min_orders": 1}}})
    assert place(strict["segments"], orders_count=1, cancellations=1) == "watch"
    assert place(strict["segments"], orders_count=1, items_bought=1) == "good"
    assert place(orders_count=1, items_bought=1) == "neutral"
    assert place(**loyal(), min_spent_vip=300_000) == "good"


@pytest.mark.parametrize(
    ("segment", "action", "weight"),
    [("vip", None, -20), ("good", None, -10), ("watch", None, 15), ("restricted", "review", 25)],
)
def test_segment_reasons_carry_the_default_weight_and_action(
    segment: str, action: str | None, weight: int
) -> None:
    [reason] = _segment_reasons(segment, merged_settings(None), 7)
    assert (reason.code, reason.source, reason.action, reason.weight, reason.ref) == (
        f"segment_{segment}",
        "segment",
        action,
        weight,
        {"type": "customer", "id": 7},
    )
    assert reason.message == f"The customer is in the {segment} segment."


@pytest.mark.parametrize("segment", ["neutral", "blocked"])
def test_segment_reasons_are_none_for_neutral_and_blocked(segment: str) -> None:
    assert _segment_reasons(segment, merged_settings(None), 7) == []


def test_segment_reasons_are_none_without_a_customer() -> None:
    assert _segment_reasons("restricted", merged_settings(None), None) == []


def test_segment_reasons_are_none_when_the_merchant_sets_no_weight_and_no_action() -> None:
    settings = merged_settings({"segments": {"watch": {"weight": 0}}})
    assert _segment_reasons("watch", settings, 7) == []


def test_segment_reasons_carry_the_merchants_weight_and_action() -> None:
    settings = merged_settings(
        {"segments": {"watch": {"weight": 0, "action": "verify"}, "restricted": {"action": "block"}}}
    )
    [watch] = _segment_reasons("watch", settings, 7)
    [restricted] = _segment_reasons("restricted", settings, 7)
    assert (watch.action, watch.weight) == ("verify", 0)
    assert (restricted.action, restricted.weight) == ("block", 25)


_count = st.integers(min_value=0, max_value=40)
_money = st.integers(min_value=0, max_value=400_000)


@given(
    metrics=st.tuples(_count, _money, _count, _money, _count, _count, _count, _count),
    more_orders=_count,
    other_spent=_money,
    other_refunds=_count,
)
def test_customers_with_one_segment_key_land_in_one_segment(
    metrics: tuple[int, ...], more_orders: int, other_spent: int, other_refunds: int
) -> None:
    orders, spent, refunds, refunded, bought, returned, cancellations, chargebacks = metrics
    # What the key leaves out: orders beyond every threshold, the spend when nothing was refunded
    # (on the same side of the vip's least), how many refunds.
    most = orders_counted(SEGMENTS)
    other_orders = orders + more_orders if orders >= most else orders
    if refunded or (other_spent >= VIP_SPENT) != (spent >= VIP_SPENT):
        other_spent = spent
    other = (other_orders, other_spent, other_refunds, refunded, bought, returned, cancellations, chargebacks)
    assert segment_key(other, most, VIP_SPENT) == segment_key(metrics, most, VIP_SPENT)
    for linked in (False, True):
        a, b = (
            segment_for(
                CustomerMetrics(*m),
                SEGMENTS,
                blocked=False,
                min_spent_vip=VIP_SPENT,
                linked_to_blocked=linked,
            )
            for m in (metrics, other)
        )
        assert a == b


def test_a_segment_key_keeps_the_spend_once_something_was_refunded() -> None:
    most = orders_counted(SEGMENTS)
    keys = {segment_key((3, spent, 1, 5_000, 4, 0, 0, 0), most, VIP_SPENT) for spent in (10_000, 50_000)}
    assert len(keys) == 2  # a refund ratio of 0.5 and one of 0.1 place differently
