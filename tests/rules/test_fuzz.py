"""Property tests: no text crashes the parser, trees round-trip, closures match the reference."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from storeguard.rules import RuleError
from storeguard.rules.explain import compile_explainer, explain_node, explain_value
from storeguard.rules.nodes import Node, Rule, Str, depth, unparse, walk
from storeguard.rules.parser import MAX_DEPTH, MAX_NODES, parse
from tests.rules.helpers import rule
from tests.rules.strategies import bool_expr, draw_facts

TOKENS = [
    "block", "review", "if", "and", "or", "not", "in", "is", "null", "true", "false", "(", ")", "[", "]",
    ",", ".", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "=", "!", "'x'", '"y', "'", "\\",
    "0", "1.5", "99999999999999999999", "@disposable_domains", "@", "@nope", "order.total", "order.tags",
    "email.domain", "lower()", "contains(", "contains_any", "length()", "#", "\n", "\t", "é", "\x00",
    "signals.disposable_email", "customer.orders_count", "order.ip_country", "order.totl",
]  # fmt: skip

settings.register_profile("rules", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rules")


def _compile_or_refuse(source: str) -> None:
    try:
        compiled = rule(source)
    except RuleError as err:
        # A refusal must point inside the text and carry a caret line.
        assert 0 <= err.offset <= len(source)
        assert err.line >= 1 and err.column >= 1
        assert "^" in err.caret
        assert str(err)
        return
    compiled.matches({})
    compiled.explain({})


@given(st.text(max_size=300))
@settings(max_examples=400)
def test_random_text_raises_nothing_but_rule_error(source: str) -> None:
    _compile_or_refuse(source)


@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from(["block if ", "review if ", ""]))
@settings(max_examples=800)
def test_random_token_soup_raises_nothing_but_rule_error(tokens: list[str], prefix: str) -> None:
    _compile_or_refuse(prefix + " ".join(tokens))


@given(st.text(alphabet=string.printable, max_size=60))
def test_text_literals_round_trip_through_unparse(value: str) -> None:
    tree = Rule("block", Str(value))
    assert parse(unparse(tree)) == tree


def _fits(tree: Node) -> bool:
    return len(walk(tree)) <= MAX_NODES and depth(tree) <= MAX_DEPTH


@given(bool_expr(4), st.sampled_from(["block", "review", "verify", "allow"]))
@settings(max_examples=300)
def test_random_trees_round_trip_and_compile(condition: Node, action: str) -> None:
    tree = Rule(action, condition)
    assume(_fits(tree))
    text = unparse(tree)
    assert parse(text) == tree
    assert unparse(parse(text)) == text
    assert rule(text).action == action  # well-typed by construction, so it must compile


@given(bool_expr(3), st.data())
@settings(max_examples=300)
def test_closures_agree_with_the_reference_interpreter(condition: Node, data: st.DataObject) -> None:
    tree = Rule("block", condition)
    assume(_fits(tree))
    compiled = rule(unparse(tree))
    facts = draw_facts(data, compiled.fields_used)
    value = compiled.evaluate(facts)
    assert value in (True, False, None)
    assert value is explain_value(compiled, facts)
    assert compiled.matches(facts) is (value is True)
    assert compiled.matches_many([facts]) == [value is True]
    assert isinstance(compiled.explain(facts), str)


@given(bool_expr(3), st.data())
@settings(max_examples=300)
def test_the_compiled_explanation_says_what_the_reference_interpreter_says(
    condition: Node, data: st.DataObject
) -> None:
    tree = Rule("block", condition)
    assume(_fits(tree))
    compiled = rule(unparse(tree))
    facts = draw_facts(data, compiled.fields_used)
    try:
        expected: tuple[object, str] | type[Exception] = explain_node(
            compiled.tree.condition, facts, compiled
        )
    except Exception as exc:
        expected = type(exc)
    explainer = compile_explainer(compiled.tree.condition, compiled)
    try:
        got: tuple[object, str] | type[Exception] = explainer(facts)
    except Exception as exc:
        got = type(exc)
    assert got == expected


@given(bool_expr(3, with_null_tests=False), st.data())
@settings(max_examples=300)
def test_a_rule_fires_on_missing_facts_only_if_it_fires_whatever_they_are(
    condition: Node, data: st.DataObject
) -> None:
    """Without 'is null', a null can never be what makes a rule fire: filling it in keeps the match."""
    tree = Rule("block", condition)
    assume(_fits(tree))
    compiled = rule(unparse(tree))
    with_nulls = draw_facts(data, compiled.fields_used)
    if compiled.matches(with_nulls):
        fill = draw_facts(data, frozenset(k for k, v in with_nulls.items() if v is None), nullable=False)
        assert compiled.matches(with_nulls | fill)
