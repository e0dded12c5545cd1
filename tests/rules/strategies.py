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


# Conditions a backtest can push down to SQL (amounts and text from the order's own columns,
# compared with constants), mixed with facts only Python has (history, email, arithmetic).
SQL_WORDS = ["NOK", "USD", "", "nok", "NG", "api", "web", "x'y"]
MONEY_FIELDS = ["order.total", "order.subtotal", "order.shipping"]
TEXT_FIELDS = ["order.currency", "order.source"]
amounts = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    # the parser's largest number is 10**15; arithmetic on constants goes past it
    st.sampled_from([0, 1, 40, 300, 2500, 4000.005, 4000.01, 0.1, 2**53 / 100, 2**53 // 100 + 0.01, 10**15]),
    st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False).map(lambda f: round(f, 3)),
)


def _amount() -> st.SearchStrategy[Node]:
    """A number the rule folds: plain, negated, or arithmetic (a division by zero is unknown)."""
    num = amounts.map(Num)
    return st.one_of(
        num,
        num.map(Neg),
        st.builds(
            Arith, st.sampled_from(["+", "-", "*", "/"]), num, st.sampled_from([0, 1, 3, 10**15]).map(Num)
        ),
    )


_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
_EQ = st.sampled_from(["==", "!="])
_money = st.sampled_from(MONEY_FIELDS).map(Field)
_text = st.sampled_from(TEXT_FIELDS).map(Field)
_word = st.sampled_from(SQL_WORDS)
_sql_leaves = st.one_of(
    st.builds(Compare, _OPS, _money, _amount()),
    st.builds(Compare, _OPS, _amount(), _money),
    st.builds(Compare, _EQ, _text, _word.map(Str)),
    st.builds(Compare, _EQ, _word.map(Str), _text),
    st.builds(In, _money, st.lists(amounts, max_size=4).map(lambda v: ListLit(tuple(v))), st.booleans()),
    st.builds(In, _text, st.lists(_word, max_size=4).map(lambda v: ListLit(tuple(v))), st.booleans()),
    st.builds(In, _text, st.just(ListRef("high_risk_countries")), st.booleans()),
    st.builds(IsNull, st.one_of(_money, _text), st.booleans()),
    st.booleans().map(Bool),
    # Python only
    st.builds(Compare, _OPS, st.just(Field("customer.orders_count")), st.integers(0, 3).map(Num)),
    st.builds(Compare, _OPS, st.just(Field("customer.total_spent")), amounts.map(Num)),
    st.just(Field("order.is_first_order")),
    st.builds(Compare, st.just("=="), st.just(Field("email.domain")), _word.map(Str)),
    st.builds(Compare, _OPS, st.builds(Arith, st.just("+"), _money, amounts.map(Num)), amounts.map(Num)),
)
sql_conditions = st.recursive(
    _sql_leaves,
    lambda sub: st.one_of(
        st.builds(Not, sub),
        st.builds(IsNull, sub, st.booleans()),
        st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(sub, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)
