"""The rule index never misses a rule: indexed matching equals running every rule, whatever the facts."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storeguard.rules import compile_rule
from storeguard.rules.index import RuleIndex, guard_of
from storeguard.rules.service import ActiveRule, ActiveRuleset

TEMPLATES = [
    "review if order.total > {n}",
    "review if order.total >= {n}",
    "block if order.total < {n}",
    "block if {n} <= order.total",
    "verify if {n} > customer.orders_count",
    "review if order.total == {n}",
    "block if email.domain == 'spam{k}.example'",
    "block if order.is_first_order and order.total > {n}",
    "review if order.has_limited_edition and customer.orders_count < {k}",
    "verify if velocity.orders_per_email_24h >= {k} or order.total > {n}",
    "block if not (order.total > {n})",
    "review if order.shipping_country == 'NO' and customer.chargebacks > {k}",
    "block if 'shoes' in order.categories and order.total <= {n}",
    "review if customer.refund_ratio > 0.{k}",
]

rule_sets = st.lists(
    st.tuples(
        st.sampled_from(TEMPLATES),
        st.one_of(st.integers(-5, 3000), st.floats(-5, 3000, allow_nan=False).map(lambda x: round(x, 2))),
        st.integers(0, 9),
    ),
    min_size=1,
    max_size=40,
)
numbers = st.one_of(
    st.none(),
    st.integers(-10, 3100),
    st.floats(-10, 3100),
    st.just(math.nan),
    st.booleans(),
    st.just("text"),
)
facts_strategy = st.fixed_dictionaries(
    {
        "order.total": numbers,
        "customer.orders_count": numbers,
        "customer.chargebacks": numbers,
        "customer.refund_ratio": numbers,
        "velocity.orders_per_email_24h": numbers,
        "order.is_first_order": st.one_of(st.none(), st.booleans()),
        "order.has_limited_edition": st.one_of(st.none(), st.booleans()),
        "email.domain": st.one_of(
            st.none(), st.sampled_from(["spam1.example", "spam7.example", "ok.example"])
        ),
        "order.shipping_country": st.one_of(st.none(), st.sampled_from(["NO", "SE"])),
        "order.categories": st.one_of(st.none(), st.lists(st.sampled_from(["shoes", "bags"]), max_size=2)),
    }
)


def _ruleset(specs: list[tuple[str, Any, int]]) -> ActiveRuleset:
    rules = []
    for i, (template, n, k) in enumerate(specs):
        compiled = compile_rule(template.format(n=repr(n), k=k))
        rules.append(ActiveRule(rule_id=i + 1, version=1, name=f"r{i}", priority=i, compiled=compiled))
    return ActiveRuleset(policy_version=1, rules=tuple(rules))


@settings(max_examples=400, deadline=None)
@given(rule_sets, st.lists(facts_strategy, min_size=1, max_size=5))
def test_indexed_matching_equals_running_every_rule(
    specs: list[tuple[str, Any, int]], many: list[dict]
) -> None:
    ruleset = _ruleset(specs)
    for facts in many:
        assert ruleset.matching(facts) == ruleset.matching_every_rule(facts)


def test_a_threshold_rule_is_guarded_by_its_comparison() -> None:
    rule = compile_rule("block if order.is_first_order and order.total > 500")
    assert guard_of(rule.tree.condition) == ("order.total", ">", 500)


def test_a_comparison_written_constant_first_is_guarded_the_other_way_round() -> None:
    rule = compile_rule("review if 500 < order.total")
    assert guard_of(rule.tree.condition) == ("order.total", ">", 500)


def test_an_or_rule_has_no_guard_and_is_always_a_candidate() -> None:
    rule = compile_rule("review if order.total > 500 or customer.chargebacks > 0")
    index = RuleIndex([rule.tree.condition])
    assert guard_of(rule.tree.condition) is None
    assert index.candidates({"order.total": 1, "customer.chargebacks": 0}) == [0]


def test_only_rules_whose_threshold_is_passed_are_candidates() -> None:
    conditions = [compile_rule(f"review if order.total > {n}").tree.condition for n in (100, 200, 300)]
    index = RuleIndex(conditions)
    assert index.candidates({"order.total": 250.0}) == [0, 1]
    assert index.candidates({"order.total": None}) == []


def test_an_equality_rule_is_found_by_its_value() -> None:
    conditions = [compile_rule(f"block if email.domain == 'd{i}.example'").tree.condition for i in range(50)]
    index = RuleIndex(conditions)
    assert index.candidates({"email.domain": "d7.example"}) == [7]
