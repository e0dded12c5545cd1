"""Hypothesis strategies: well-typed rule trees and fact rows with nulls."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from storeguard.rules.facts import FACTS, FactType
from storeguard.rules.nodes import (
    Arith,
    Bool,
    BoolOp,
    Call,
    Compare,
    Field,
    In,
    IsNull,
    ListLit,
    ListRef,
    Neg,
    Node,
    Not,
    Num,
    Str,
)
from tests.rules.helpers import LISTS

# A small pool of text so generated comparisons and lookups often hit.
WORDS = ["", "NO", "SE", "no", "a", "A", "knives", "NG", "mailinator.com", "x+y@z.ru"]


def _fields(*types: FactType) -> list[str]:
    return sorted(n for n, s in FACTS.items() if s.type in types)


NUM_FIELDS = _fields(FactType.number, FactType.integer)
STR_FIELDS = _fields(FactType.string)
BOOL_FIELDS = _fields(FactType.bool)
LIST_FIELDS = _fields(FactType.string_list)

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 3)),
)
words = st.sampled_from(WORDS)


@cache
def num_expr(depth: int) -> st.SearchStrategy[Node]:
    leaves = st.one_of(st.sampled_from(NUM_FIELDS).map(Field), numbers.map(Num))
    if depth <= 0:
        return leaves
    sub = num_expr(depth - 1)
    return st.one_of(
        leaves,
        st.builds(Arith, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(Neg, sub),
        st.builds(lambda r: Call(r, "length"), st.one_of(str_expr(depth - 1), list_expr())),
    )


@cache
def str_expr(depth: int) -> st.SearchStrategy[Node]:
    leaves = st.one_of(st.sampled_from(STR_FIELDS).map(Field), words.map(Str))
    if depth <= 0:
        return leaves
    return st.one_of(
        leaves, st.builds(Call, str_expr(depth - 1), st.sampled_from(["lower", "upper", "trim"]))
    )


@cache
def list_expr() -> st.SearchStrategy[Node]:
    return st.one_of(
        st.sampled_from(LIST_FIELDS).map(Field),
        st.sampled_from(sorted(LISTS)).map(ListRef),
        st.lists(words, max_size=4).map(lambda v: ListLit(tuple(v))),
    )


@cache
def bool_expr(depth: int, with_null_tests: bool = True) -> st.SearchStrategy[Node]:
    leaves = st.one_of(st.sampled_from(BOOL_FIELDS).map(Field), st.booleans().map(Bool))
    if depth <= 0:
        return leaves
    sub = bool_expr(depth - 1, with_null_tests)
    num, text = num_expr(depth - 1), str_expr(depth - 1)
    options = [
        leaves,
        st.builds(Not, sub),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(sub, min_size=2, max_size=3).map(tuple)),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), num, num),
        st.builds(Compare, st.sampled_from(["==", "!="]), text, text),
        st.builds(Compare, st.sampled_from(["==", "!="]), sub, sub),
        st.builds(In, text, list_expr(), st.booleans()),
        st.builds(In, num, st.lists(numbers, max_size=4).map(lambda v: ListLit(tuple(v))), st.booleans()),
        st.builds(
            lambda r, m, a: Call(r, m, (a,)),
            text,
            st.sampled_from(["startswith", "endswith", "contains"]),
            text,
        ),
        st.builds(lambda r, a: Call(r, "contains", (a,)), list_expr(), text),
        st.builds(lambda r, a: Call(r, "contains_any", (a,)), list_expr(), list_expr()),
    ]
    if with_null_tests:
        options.append(st.builds(IsNull, st.one_of(num, text), st.booleans()))
    return st.one_of(*options)


def _value(kind: FactType) -> st.SearchStrategy[object]:
    if kind == FactType.integer:
        return st.integers(min_value=0, max_value=20)
    if kind == FactType.number:
        return st.one_of(st.sampled_from([0.0, 0.5, 1.0, 500.0]), st.floats(-1e6, 1e6, allow_nan=False))
    if kind == FactType.string:
        return words
    if kind == FactType.bool:
        return st.booleans()
    return st.lists(words, max_size=3)


def fact_value(name: str, nullable: bool = True) -> st.SearchStrategy[object]:
    """A value for one fact, null included when ``nullable``."""
    kind = _value(FACTS[name].type)
    return st.one_of(st.none(), kind) if nullable else kind


def draw_facts(data: st.DataObject, names: frozenset[str], nullable: bool = True) -> dict[str, object]:
    """Draw a fact row holding just ``names`` (a missing key reads as null too)."""
    return {name: data.draw(fact_value(name, nullable), label=name) for name in sorted(names)}
