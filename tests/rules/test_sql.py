"""Rules in SQL: the translation has the rule's value on every row, nulls included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from sqlalchemy import BigInteger, Integer, String, cast, literal, select, union_all
from sqlalchemy.orm import Session

from storeguard.rules import RuleError
from storeguard.rules.compiler import CompiledRule
from storeguard.rules.nodes import Node, Rule, unparse
from storeguard.rules.sql import SqlFact, Translator, candidates
from tests.rules.helpers import rule
from tests.rules.strategies import MONEY_FIELDS, SQL_WORDS, TEXT_FIELDS, sql_conditions

# Rows of (minor units, text): the edges of the thresholds, of a double's exact integers and of BIGINT.
# Every amount fact reads the one integer column, every text fact the one text column.
MINOR = [None, 0, 1, -1, 99, 100, 101, 4000, 400000, 400001, 400050, 2**53 - 1, 2**53, 2**53 + 1]
MINOR += [2**63 - 1, -(2**63), 123456789]
TEXT = [None, "NOK", "USD", "", "nok", "NG", "web"]
ROWS = [(i, MINOR[i % len(MINOR)], TEXT[i % len(TEXT)]) for i in range(len(MINOR) * len(TEXT))]


def _rows_statement() -> Any:
    return union_all(
        *(
            select(
                literal(i, Integer).label("id"),
                cast(literal(minor, BigInteger), BigInteger).label("minor"),
                cast(literal(text, String), String).label("text"),
            )
            for i, minor, text in ROWS
        )
    ).subquery("r")


def _python_facts(i: int, minor: int | None, text: str | None) -> dict[str, Any]:
    """The row's facts as the backtest builds them, plus Python-only facts that vary by row."""
    count = None if i % 5 == 0 else i % 3
    return {
        **dict.fromkeys(MONEY_FIELDS, None if minor is None else minor / 100),
        **dict.fromkeys(TEXT_FIELDS, text),
        "customer.orders_count": count,
        "customer.total_spent": None if count is None else count * 250.5,
        "order.is_first_order": None if count is None else count == 0,
        "email.domain": SQL_WORDS[i % len(SQL_WORDS)] if i % 4 else None,
    }


def _sql_values(
    session: Session, compiled: CompiledRule, how: str
) -> tuple[dict[int, Any], dict[int, Any]] | None:
    """Return (Python value, SQL value) by row id, or None when the rule has no translation."""
    r = _rows_statement()
    facts = dict.fromkeys(MONEY_FIELDS, SqlFact(r.c.minor, lambda t: t / 100))
    facts.update(dict.fromkeys(TEXT_FIELDS, SqlFact(r.c.text)))
    translator = Translator(facts, compiled.lists)
    expr = getattr(translator, how)(compiled.tree.condition)
    if expr is None:
        return None
    sql = {i: (None if v is None else bool(v)) for i, v in session.execute(select(r.c.id, expr))}
    python = {i: compiled.evaluate(_python_facts(i, minor, text)) for i, minor, text in ROWS}
    return python, sql


def _compiled(condition: Node) -> CompiledRule:
    try:
        return rule(unparse(Rule("block", condition)))
    except RuleError:
        assume(False)
        raise


@given(sql_conditions)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_exact_translation_has_the_rules_value_on_every_row(session: Session, condition: Node) -> None:
    found = _sql_values(session, _compiled(condition), "exact")
    assume(found is not None)
    python, sql = found  # type: ignore[misc]
    assert sql == python


@given(sql_conditions)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_necessary_condition_holds_on_every_row_the_rule_fires_on(session: Session, condition: Node) -> None:
    found = _sql_values(session, _compiled(condition), "necessary")
    assume(found is not None)
    python, sql = found  # type: ignore[misc]
    assert {i for i, v in python.items() if v is True} <= {i for i, v in sql.items() if v is True}


@pytest.mark.parametrize(
    ("source", "fires_on"),
    [
        # 4000.005 lies between two amounts in øre: 4000.01 is the first above it
        (
            "block if order.total > 4000.005",
            {400001, 400050, 2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 123456789},
        ),
        ("block if order.total == 40", {4000}),
        ("block if order.total <= -0.01", {-1, -(2**63)}),
        ("block if order.total in [1, 0.99]", {99, 100}),
        ("block if order.total == 40.005", set()),
    ],
)
def test_exact_translation_of_amounts_between_minor_units(
    session: Session, source: str, fires_on: set[int]
) -> None:
    found = _sql_values(session, rule(source), "exact")
    assert found is not None
    python, sql = found
    minor = dict((i, m) for i, m, _ in ROWS)
    assert {minor[i] for i, v in sql.items() if v} == fires_on
    assert sql == python


def test_a_null_column_leaves_a_comparison_unknown_and_is_null_true(session: Session) -> None:
    found = _sql_values(session, rule("block if order.currency != 'NOK' or order.total is null"), "exact")
    assert found is not None
    python, sql = found
    nulls = {i for i, _, text in ROWS if text is None}
    assert {i for i, v in sql.items() if v is None} == nulls - {i for i, m, _ in ROWS if m is None}
    assert sql == python


def test_a_rule_with_a_python_only_or_branch_has_no_condition() -> None:
    compiled = rule("block if order.is_first_order or order.total > 10")
    assert (
        candidates([compiled], {"order.total": SqlFact(_rows_statement().c.minor, lambda t: t / 100)}) is None
    )


def test_a_rule_keeps_the_translatable_part_of_an_and(session: Session) -> None:
    found = _sql_values(
        session, rule("block if order.is_first_order and order.currency == 'USD'"), "necessary"
    )
    assert found is not None
    _, sql = found
    assert {i for i, v in sql.items() if v} == {i for i, _, text in ROWS if text == "USD"}


def test_no_rule_that_can_stop_an_order_means_no_candidates() -> None:
    assert str(candidates([], {})) == "false"
