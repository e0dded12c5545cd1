"""Translate the simple parts of a rule into SQL that has exactly the rule's value on every row.

A rule over a million past orders runs faster when the database drops the orders it cannot fire
on. Only what SQL says exactly as Python does is translated: a fact backed by a column (a number
the column's integer maps to, or text) compared with a constant, looked up in a constant list or
tested for null, and ``and``, ``or``, ``not`` over such conditions. SQL's three-valued logic is
the rule language's: NULL is unknown, ``NULL AND FALSE`` is false, ``NOT NULL`` is unknown, and
a WHERE keeps a row only when its condition is true, as a rule fires only when its condition is.

Numbers are not compared in SQL floating point: a money fact is ``minor / scale`` in Python, so
``order.total > 40.005`` becomes ``total >= t`` with ``t`` the smallest integer whose Python value
is above 40.005, found with the same division Python runs. Text is compared for equality only
(ordering depends on the database's collation). Arithmetic, method calls and every other fact
stay in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from storeguard.rules.compiler import NOT_CONSTANT, CompiledRule, constant_value
from storeguard.rules.nodes import BoolOp, Compare, Field, In, IsNull, Node, Not

# The integers a BIGINT column holds: every threshold is searched in this range.
_MIN, _MAX = -(2**63), 2**63 - 1
_MAX_LIST = 1000  # a longer list stays in Python rather than make a statement of thousands of terms
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class SqlFact:
    """A fact read straight from a column.

    ``value`` maps the column's integer to the fact's value exactly as the Python side computes
    it (minor units to major: ``lambda t: t / 100``); it must never decrease as the integer grows.
    A fact without ``value`` is text, compared for equality only.
    """

    column: ColumnElement[Any]
    value: Callable[[int], int | float] | None = None


class Translator:
    """Translate rule conditions over the given column-backed facts."""

    def __init__(self, facts: Mapping[str, SqlFact], lists: Mapping[str, frozenset[str]]) -> None:
        self.facts = facts
        self.lists = lists

    def exact(self, node: Node) -> ColumnElement[bool] | None:
        """Return SQL with the condition's value (true, false or NULL for unknown), or None."""
        value = constant_value(node, self.lists)
        if value is not NOT_CONSTANT:
            if value is True:
                return true()
            if value is False:
                return false()
            return None  # a constant unknown (0 / 0 > 1): rare enough to leave to Python
        match node:
            case Not(operand=operand):
                inner = self.exact(operand)
                return None if inner is None else not_(inner)
            case BoolOp(op=op, operands=operands):
                parts = [self.exact(o) for o in operands]
                if any(p is None for p in parts):
                    return None
                return and_(*parts) if op == "and" else or_(*parts)
            case Compare(op=op, left=left, right=right):
                if isinstance(left, Field):
                    return self._compare(left.name, op, right)
                if isinstance(right, Field):
                    return self._compare(right.name, _FLIP[op], left)
                return None
            case In(left=Field(name=name), right=right, negated=negated):
                found = self._member(name, right)
                return None if found is None else (not_(found) if negated else found)
            case IsNull(operand=operand, negated=negated):
                if isinstance(operand, Field):
                    fact = self.facts.get(operand.name)
                    inner = None if fact is None else fact.column
                else:
                    inner = self.exact(operand)
                if inner is None:
                    return None
                return inner.is_not(None) if negated else inner.is_(None)
        return None

    def necessary(self, node: Node) -> ColumnElement[bool] | None:
        """Return SQL true on every row where the condition is true (and maybe on others), or None.

        The exact translation when there is one; otherwise an 'and' needs each part it can
        translate, and an 'or' one of its parts when every part has a translation.
        """
        found = self.exact(node)
        if found is not None or not isinstance(node, BoolOp):
            return found
        parts = [self.necessary(o) for o in node.operands]
        if node.op == "and":
            kept = [p for p in parts if p is not None]
            return and_(*kept) if kept else None
        if any(p is None for p in parts):
            return None
        return or_(*parts)

    def _compare(self, name: str, op: str, other: Node) -> ColumnElement[bool] | None:
        fact = self.facts.get(name)
        c = constant_value(other, self.lists)
        if fact is None or c is NOT_CONSTANT:
            return None
        return _compare(fact, op, c)

    def _member(self, name: str, right: Node) -> ColumnElement[bool] | None:
        fact = self.facts.get(name)
        values = constant_value(right, self.lists)
        if fact is None or not isinstance(values, frozenset) or len(values) > _MAX_LIST:
            return None
        col = fact.column
        if fact.value is None:
            # Python's ``in`` is ``==``: a number in the list never equals a text value.
            texts = sorted(v for v in values if isinstance(v, str))
            if any(not _is_text(v) for v in texts):
                return None
            return or_(*(col == v for v in texts)) if texts else col != col
        # True == 1 in Python, so a true in a list of numbers is a 1; NaN equals nothing.
        numbers = sorted(
            {int(v) for v in values if isinstance(v, bool)} | {v for v in values if _is_number(v)}
        )
        if not numbers:
            return col != col
        return or_(*(_compare(fact, "==", v) for v in numbers))


def _compare(fact: SqlFact, op: str, c: Any) -> ColumnElement[bool] | None:
    """Translate ``fact <op> c``, or return None for a constant of another type or a text ordering."""
    col, value = fact.column, fact.value
    if value is None:
        if not _is_text(c) or op not in ("==", "!="):
            return None
        return col == c if op == "==" else col != c
    if not _is_number(c):
        return None
    # The integers whose value is above c (at least c) run from one threshold to the top of the range.
    above = _first(lambda t: value(t) > c)
    at_least = _first(lambda t: value(t) >= c)
    if op == ">":
        return _from(col, above)
    if op == ">=":
        return _from(col, at_least)
    if op == "<":
        return _below(col, at_least)
    if op == "<=":
        return _below(col, above)
    if op == "==":
        return and_(_from(col, at_least), _below(col, above))
    return or_(_below(col, at_least), _from(col, above))


def candidates(rules: list[CompiledRule], facts: Mapping[str, SqlFact]) -> ColumnElement[bool] | None:
    """Return SQL true on every row where any of the rules fires, or None when it cannot be said."""
    found = []
    for rule in rules:
        part = Translator(facts, rule.lists).necessary(rule.tree.condition)
        if part is None:
            return None
        found.append(part)
    return or_(*found) if found else false()


def _is_text(value: Any) -> bool:
    # PostgreSQL text cannot hold NUL; such a constant is left to Python.
    return isinstance(value, str) and "\x00" not in value


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and not (isinstance(value, float) and math.isnan(value))


def _first(pred: Callable[[int], bool]) -> int | None:
    """Return the smallest integer of the column's range where ``pred`` holds (it holds from there on)."""
    lo, hi = _MIN, _MAX
    if not pred(hi):
        return None
    if pred(lo):
        return lo
    while hi - lo > 1:  # pred(lo) is false, pred(hi) is true
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _from(col: ColumnElement[Any], start: int | None) -> ColumnElement[bool]:
    """``col >= start``; with no start, false on every value (and NULL on NULL, as a comparison is)."""
    return col != col if start is None else col >= start


def _below(col: ColumnElement[Any], end: int | None) -> ColumnElement[bool]:
    """``col < end``; with no end, true on every value (and NULL on NULL)."""
    return col == col if end is None else col < end
