"""Predicates over the order's lines: order.lines.any/all/count(...), bounded when the rule is saved."""

from __future__ import annotations

import pytest

from storeguard.rules import RuleError
from tests.rules.helpers import base_facts, rule

DROP = {"line.tags": ["drop"], "line.quantity": 3, "line.price": 2500.0, "line.category": "shoes"}
GIFT = {"line.tags": [], "line.quantity": 1, "line.price": 500.0, "line.category": None}


def _facts(*lines: dict) -> dict:
    return base_facts() | {"order.lines": tuple(lines)}


def test_any_fires_only_when_one_line_meets_the_whole_condition() -> None:
    compiled = rule("review if order.lines.any(line.tags.contains('drop') and line.quantity > 2)")
    assert compiled.matches(_facts(GIFT, DROP)) is True
    assert compiled.matches(_facts(GIFT, DROP | {"line.quantity": 1}, GIFT | {"line.quantity": 5})) is False


def test_count_counts_the_lines_the_condition_holds_on() -> None:
    compiled = rule("review if order.lines.count(line.price >= 500) == 2")
    assert compiled.matches(_facts(DROP, GIFT)) is True
    assert compiled.matches(_facts(DROP, GIFT | {"line.price": 499.0})) is False


def test_all_holds_on_every_line_and_on_an_order_without_lines() -> None:
    compiled = rule("allow if order.lines.all(line.price > 100)")
    assert [compiled.matches(_facts(DROP, GIFT)), compiled.matches(_facts())] == [True, True]
    assert compiled.matches(_facts(DROP, GIFT | {"line.price": 50.0})) is False


def test_an_unknown_line_fact_never_makes_any_fire() -> None:
    compiled = rule("block if order.lines.any(line.category == 'knives')")
    assert compiled.evaluate(_facts(GIFT, DROP)) is None
    assert compiled.matches(_facts(GIFT, DROP)) is False


def test_len_of_the_lines_is_how_many_there_are() -> None:
    assert rule("review if len(order.lines) == 2").matches(_facts(DROP, GIFT)) is True


def test_the_explanation_says_how_many_lines_held() -> None:
    compiled = rule("review if order.lines.count(line.tags.contains('drop')) >= 1 and len(order.lines) > 1")
    assert compiled.explain(_facts(DROP, GIFT)) == (
        "(order.lines.count(line.tags.contains('drop')) = 1, of 2 lines) >= 1"
        " and (order.lines (2 lines).length() = 2) > 1"
    )


@pytest.mark.parametrize(
    ("source", "code", "message"),
    [
        (
            "review if order.lines.any(line.quantity > 5 and order.total > 100)",
            "unknown_field",
            "inside order.lines.any(...) only the line's facts (line.*) can be read; "
            "test order.total beside it, joined with 'and'",
        ),
        (
            "review if line.quantity > 5",
            "unknown_field",
            "line.quantity is a fact of one order line: read it inside order.lines.any(...), "
            "like order.lines.any(line.quantity ...)",
        ),
        (
            "review if order.lines.any(line.qty > 5)",
            "unknown_field",
            "unknown line fact 'line.qty'; did you mean line.quantity?",
        ),
        (
            "review if order.lines.any(line.quantity)",
            "type_mismatch",
            "order.lines.any() needs a condition about a line (true or false), but line.quantity is a number",
        ),
        (
            "review if order.tags.any(line.quantity > 1)",
            "type_mismatch",
            "any() reads the order's lines, like order.lines.any(line.quantity > 5), "
            "but order.tags is a list of text",
        ),
        (
            "review if order.lines.any(line.quantity > 1, line.price > 1)",
            "type_mismatch",
            "order.lines.any() takes one condition about a line, like "
            "order.lines.any(line.tags.contains('drop')), but was given 2",
        ),
    ],
)
def test_a_bad_line_predicate_is_refused_when_saved(source: str, code: str, message: str) -> None:
    with pytest.raises(RuleError) as info:
        rule(source)
    assert (info.value.code, info.value.message) == (code, message)


def test_a_rule_reading_the_lines_more_than_four_times_is_refused_at_the_fifth() -> None:
    source = "review if " + " and ".join(f"order.lines.any(line.quantity > {n})" for n in range(5))
    with pytest.raises(RuleError) as info:
        rule(source)
    assert info.value.code == "rule_too_large"
    assert info.value.offset == source.rindex("order.lines")
    rule("review if " + " and ".join(f"order.lines.any(line.quantity > {n})" for n in range(4)))


def test_a_line_condition_of_more_than_25_parts_is_refused() -> None:
    long = " or ".join(f"line.quantity == {n}" for n in range(9))  # 9 comparisons of 3 parts, and the or
    with pytest.raises(RuleError) as info:
        rule(f"review if order.lines.any({long})")
    assert info.value.code == "rule_too_large"
    rule("review if order.lines.any({})".format(" or ".join(f"line.quantity == {n}" for n in range(8))))
