"""The return policy's pure rules: windows, returnable units, fees, and a policy change's checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeguard.core.errors import DomainError
from storeguard.returns import policy
from storeguard.returns.enums import Condition


@given(
    quantity=st.integers(1, 50),
    fulfilled=st.integers(0, 50),
    refunded=st.integers(0, 50),
    in_returns=st.integers(0, 50),
)
def test_never_more_can_be_returned_than_was_shipped_less_what_is_refunded_or_in_a_return(
    quantity, fulfilled, refunded, in_returns
):
    fulfilled, refunded = min(fulfilled, quantity), min(refunded, quantity)

    may = policy.returnable_quantity(
        quantity=quantity, fulfilled=fulfilled, refunded=refunded, in_returns=in_returns
    )

    assert may >= 0
    assert may + in_returns <= max(fulfilled, in_returns)  # shipped units are asked back once
    assert may <= quantity - refunded  # a refunded unit is never refunded again by a return


@given(value=st.integers(0, 10**12), condition=st.sampled_from(list(Condition)), percent=st.integers(0, 100))
def test_a_fee_is_never_more_than_the_lines_value(value, condition, percent):
    rules = policy.merged_policy({"fees": {condition.value: percent}})

    fee = policy.line_fee(value, condition, rules)

    assert 0 <= fee <= value
    assert fee == value * percent // 100


def test_a_line_takes_the_shortest_window_of_its_categories():
    rules = policy.merged_policy({"category_windows": {"swimwear": 14, "sale": 7}})

    assert [policy.window_days(rules, c) for c in (["swimwear"], ["sale", "swimwear"], ["apparel"], [])] == [
        14,
        7,
        30,
        30,
    ]


def test_the_window_closes_at_the_same_moment_days_after_delivery():
    delivered = datetime(2026, 12, 1, 10, tzinfo=UTC)

    assert [policy.window_closed(delivered, 30, datetime(2026, 12, 31, h, tzinfo=UTC)) for h in (10, 11)] == [
        False,
        True,
    ]


def test_early_refunds_follow_the_segments_the_policy_names():
    rules = policy.merged_policy(None)

    assert [policy.refund_needs_inspection(rules, s) for s in ("vip", "good", "restricted")] == [
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window_days": -1}, "policy.window_days"),
        ({"window_days": "30"}, "policy.window_days"),
        ({"fees": {"used": 101}}, "policy.fees.used"),
        ({"fees": {"scratched": 5}}, "policy.fees"),
        ({"restock": {"used": "yes"}}, "policy.restock.used"),
        ({"refund_before_inspection": ["friends"]}, "policy.refund_before_inspection"),
        ({"category_windows": {"swimwear": 5000}}, "policy.category_windows.swimwear"),
        ({"free_returns": True}, "policy.free_returns"),
    ],
)
def test_a_bad_policy_change_is_refused_naming_the_field(changes, field):
    with pytest.raises(DomainError) as refused:
        policy.validate_policy_change({}, changes)

    assert (refused.value.code, refused.value.field) == ("invalid_policy", field)


def test_a_policy_change_keeps_what_it_does_not_name():
    merged = policy.validate_policy_change({"window_days": 14}, {"fees": {"used": 30}})

    assert merged == {"window_days": 14, "fees": {"used": 30}}
    assert policy.merged_policy(merged)["fees"] == {
        "new_with_tags": 0,
        "used": 30,
        "damaged_by_customer": 50,
        "not_the_item_sent": 100,
    }
