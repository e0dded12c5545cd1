"""Parsing: precedence, canonical text, and syntax errors that point at the problem."""

from __future__ import annotations

import pytest

from storeguard.rules.errors import RuleError, RuleSyntaxError, caret_excerpt, position_of
from storeguard.rules.nodes import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Field,
    In,
    IsNull,
    ListLit,
    ListRef,
    Neg,
    Not,
    Num,
    Str,
    unparse,
)
from storeguard.rules.parser import MAX_DEPTH, MAX_NODES, MAX_SOURCE_CHARS, parse, parse_condition


def c(source: str):  # noqa: ANN201 - a node
    return parse_condition(source)


def test_parse_rule_reads_action_and_condition() -> None:
    tree = parse("review if order.total > 500")
    assert tree.action == "review"
    assert tree.condition == Compare(">", Field("order.total"), Num(500))


def test_and_binds_tighter_than_or() -> None:
    assert c("a or b and d") == BoolOp("or", (Field("a"), BoolOp("and", (Field("b"), Field("d")))))


def test_not_applies_to_the_whole_comparison() -> None:
    assert c("not a == 1") == Not(Compare("==", Field("a"), Num(1)))


def test_not_binds_tighter_than_and() -> None:
    assert c("not a and b") == BoolOp("and", (Not(Field("a")), Field("b")))


def test_multiplication_binds_tighter_than_addition() -> None:
    assert c("a + b * 2 > 1").left == Arith("+", Field("a"), Arith("*", Field("b"), Num(2)))


def test_subtraction_and_division_group_to_the_left() -> None:
    assert c("a - b - 1 > 0").left == Arith("-", Arith("-", Field("a"), Field("b")), Num(1))
    assert c("a / b / 2 > 0").left == Arith("/", Arith("/", Field("a"), Field("b")), Num(2))


def test_unary_minus_binds_tighter_than_multiplication() -> None:
    assert c("-a * 2 > 0").left == Arith("*", Neg(Field("a")), Num(2))


def test_parentheses_override_precedence() -> None:
    assert c("(a or b) and d") == BoolOp("and", (BoolOp("or", (Field("a"), Field("b"))), Field("d")))


def test_chains_of_and_are_flat() -> None:
    assert c("a and b and d") == BoolOp("and", (Field("a"), Field("b"), Field("d")))


def test_in_not_in_and_is_null_forms() -> None:
    assert c("a in ['NO', 'SE']") == In(Field("a"), ListLit(("NO", "SE")))
    assert c("a not in @countries") == In(Field("a"), ListRef("countries"), negated=True)
    assert c("a is null") == IsNull(Field("a"))
    assert c("a is not null") == IsNull(Field("a"), negated=True)


def test_method_call_splits_from_the_fact_path() -> None:
    assert c("email.address.lower().endswith('.ru')") == Call(
        Call(Field("email.address"), "lower"), "endswith", (Str(".ru"),)
    )


def test_list_literal_accepts_negative_numbers_and_trailing_comma() -> None:
    assert c("a in [1, -2.5,]") == In(Field("a"), ListLit((1, -2.5)))


def test_strings_take_both_quotes_and_escapes() -> None:
    assert c("""a == "it's" """) == Compare("==", Field("a"), Str("it's"))
    assert c(r"a == 'back\\slash \'q\' \n'") == Compare("==", Field("a"), Str("back\\slash 'q' \n"))


def test_comments_and_newlines_are_ignored() -> None:
    tree = parse("review if a > 1  # big\n   and b  # flagged\n")
    assert tree.condition == BoolOp("and", (Compare(">", Field("a"), Num(1)), Field("b")))


def test_numbers_keep_whole_numbers_whole() -> None:
    assert c("a > 500").right == Num(500)
    assert isinstance(c("a > 500").right.value, int)
    assert c("a > 0.1").right == Num(0.1)


@pytest.mark.parametrize(
    "source",
    [
        "review if order.total > 500 and customer.orders_count == 0",
        "block if not (a or b) and -(x + y) * 2 / z >= 3",
        "block if a - (b - d) > 0 and a / (b * d) < 1",
        "verify if email.address.lower().contains('+') or 'x' not in order.tags",
        "allow if (not a) == b",
        "block if --a > 0 and (a or b) == true and a is not null",
        "review if [1, 2].contains_any(['x']) and 5.lower() == 'x' and @l.length() > 0",
        "block if not not a",
        "block if 'it\\'s' == \"a\\\\b\"",
        "review if a > 0.000001 and b < 123456789012345",
    ],
)
def test_unparse_round_trips(source: str) -> None:
    tree = parse(source)
    assert parse(unparse(tree)) == tree


def test_unparse_writes_only_needed_parentheses() -> None:
    assert unparse(parse("block if ((a) and (b)) or (d)")) == "block if a and b or d"
    assert unparse(parse("block if a and (b or d)")) == "block if a and (b or d)"


def test_position_and_caret_point_at_the_second_line() -> None:
    source = "review if order.total > 500\n  and customer.orders_count = 0"
    with pytest.raises(RuleSyntaxError) as info:
        parse(source)
    err = info.value
    assert (err.line, err.column, err.offset) == (2, 29, 56)
    assert err.caret == "  and customer.orders_count = 0\n                            ^"
    assert err.code == "rule_syntax_error"


def test_position_helpers_count_from_one() -> None:
    assert position_of("ab\ncd", 0) == (1, 1)
    assert position_of("ab\ncd", 4) == (2, 2)
    assert caret_excerpt("ab\ncd", 3, 2) == "cd\n^^"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("", "a rule starts with its action", 1),
        ("deny if a", "a rule starts with its action (block, review, verify, allow), found 'deny'", 1),
        ("block a > 1", "expected 'if' after 'block', found 'a'", 7),
        ("block if", "the rule ends too early", 9),
        ("block if a &&  b", "write 'and' instead of '&&'", 12),
        ("block if a || b", "write 'or' instead of '||'", 12),
        ("block if !a", "write 'not' instead of '!'", 10),
        ("block if a ** 2 > 1", "there is no power operator", 12),
        ("block if a % 2 > 1", "there is no remainder operator", 12),
        ("block if a // 2 > 1", "there is no floor division", 12),
        ("block if a <> 1", "write '!=' for 'not equal'", 12),
        ("block if a == True", "write 'true' instead of 'True'", 15),
        ("block if a AND b", "write 'and' instead of 'AND'", 12),
        ("block if a is None", "write 'null' instead of 'None'", 15),
        ("block if a is b", "expected 'null' after 'is', found 'b'", 15),
        ("block if 1 < a < 3", "comparisons cannot be chained", 16),
        ("block if (a", "expected ')' to close the '(' at line 1, column 10", 12),
        ("block if a)", "this ')' has no matching '('", 11),
        ("block if a in [1, 2", "expected ',' between list values", 20),
        ("block if a in [b]", "a list holds only text and numbers", 16),
        ("block if 'open", "this text is never closed", 10),
        ("block if a == '\\d'", "unknown escape in text", 16),
        ("block if a.lower > 1 and x.lower(", "the rule ends too early", 34),
        ("block if a.lower().b", "expected '(' after the method name 'b'", 21),
        ("block if a == 1 $", "unexpected character '$'", 17),
        ("block if @ == 1", "a named list needs a name after '@'", 10),
        ("block if null is null", "null can only be tested with 'is null'", 10),
        ("block if .5 > a", "expected a value or a fact, found '.'", 10),
    ],
)
def test_syntax_errors_name_the_problem_and_its_column(source: str, message: str, column: int) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse(source)
    assert message in info.value.message
    assert info.value.column == column


def test_too_long_a_rule_is_refused() -> None:
    with pytest.raises(RuleError) as info:
        parse("block if " + "a or " * MAX_SOURCE_CHARS + "b")
    assert info.value.code == "rule_too_large"
    assert "at most 4000 characters" in info.value.message


def test_too_many_parts_are_refused() -> None:
    source = "block if " + " or ".join(f"a{i}" for i in range(MAX_NODES + 1))
    with pytest.raises(RuleError) as info:
        parse(source)
    assert info.value.code == "rule_too_large"


def test_deep_nesting_is_refused_before_recursing() -> None:
    for opener in ("(", "not ", "-"):
        source = "block if " + opener * (MAX_DEPTH + 5) + "a"
        with pytest.raises(RuleError) as info:
            parse(source)
        assert info.value.code == "rule_too_large", opener


def test_long_arithmetic_chain_is_refused_for_depth() -> None:
    source = "block if " + " + ".join(["a"] * (MAX_DEPTH + 5)) + " > 1"
    with pytest.raises(RuleError) as info:
        parse(source)
    assert info.value.code == "rule_too_large"


def test_huge_numbers_and_long_text_are_refused() -> None:
    for source in (
        "block if a > 10000000000000000",
        "block if a > " + "9" * 40,
        f"block if a == '{'x' * 600}'",
    ):
        with pytest.raises(RuleError) as info:
            parse(source)
        assert info.value.code == "rule_too_large"


def test_problem_details_carry_position_and_caret() -> None:
    with pytest.raises(RuleError) as info:
        parse("block if a = 1")
    body = info.value.problem()
    assert body["code"] == "rule_syntax_error"
    assert body["position"] == {"line": 1, "column": 12, "offset": 11}
    assert body["caret"] == "block if a = 1\n           ^"
    assert body["status"] == 422
