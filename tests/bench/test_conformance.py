"""The conformance harness: 200 neutral rules agree with the plain-Python reference on every order."""

from __future__ import annotations

from bench.bench_conformance import FIELDS, check, generate_orders, neutral_rules, reference_fires


def test_all_200_neutral_rules_are_expressible_and_agree_with_the_reference_on_every_order() -> None:
    result = check(400)
    assert (len(result["compiled"]), result["mismatches"], result["decision_mismatches"]) == (200, [], 0)


def test_every_neutral_rule_fires_on_some_generated_order() -> None:
    orders = generate_orders(1000)
    counts = [sum(reference_fires(rule, order) for order in orders) for rule in neutral_rules()]
    assert [c for c in counts if c == 0] == []


def test_the_harness_notices_a_fact_that_is_read_differently() -> None:
    original = FIELDS["billing_city"]
    FIELDS["billing_city"] = (original[0], lambda o: (o.get("billing") or {}).get("city"))  # not trimmed
    try:
        assert check(300)["mismatches"] != []
    finally:
        FIELDS["billing_city"] = original
