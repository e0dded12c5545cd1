"""Evaluate a compiled rule over many orders at once, a fact column at a time (for backtests).

The answer is the one ``CompiledRule.matches`` gives each order, and it is reached the same way:
an 'and' or 'or' evaluates its parts left to right, and a part is evaluated only for the orders
its earlier siblings left undecided, so a fact is asked for only on the orders that reach it (and
an error, a fact of the wrong type, happens on exactly the orders it would happen on one at a
time, where it makes the rule not fire). A comparison of a fact with a constant runs as one list
comprehension; every other part runs the compiled closure per order, on the facts it reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from storeguard.rules.compiler import NOT_CONSTANT, CompiledRule, compile_part, constant_value
from storeguard.rules.nodes import Bool, BoolOp, Compare, Field, IsNull, ListLit, Node, Not, Num, Str
from storeguard.rules.semantics import CMP

# A fact's values on some orders: ``column(name, rows)`` answers them in the order of ``rows``.
Column = Callable[[str, Sequence[int]], Sequence[Any]]


class _Error:
    """The value of a part that raised on an order: the rule does not fire there."""

    __slots__ = ()


ERROR = _Error()


def firing_rows(
    rule: CompiledRule, rows: Sequence[int], column: Column, dear: frozenset[str] = frozenset()
) -> list[int]:
    """The ``rows`` on which the rule fires: its condition exactly true, with no error on the way.

    ``dear`` names facts costly to work out: in an 'and' or 'or' none of whose parts can raise,
    the parts reading them go last, so they are read only on the orders the others leave undecided
    (with no error possible, the order of the parts cannot change an answer).
    """
    values = _Evaluator(rule, column, dear).values(rule.tree.condition, rows)
    return [row for row, value in zip(rows, values, strict=True) if value is True]


class _Evaluator:
    def __init__(self, rule: CompiledRule, column: Column, dear: frozenset[str]) -> None:
        self.lists: Mapping[str, frozenset[str]] = rule.lists
        self.facts = rule.fields_used
        self.column = column
        self.dear = dear

    def values(self, node: Node, rows: Sequence[int]) -> list[Any]:
        """The node's value on each of ``rows``: True, False, None (unknown), a value, or ERROR."""
        constant = constant_value(node, self.lists)
        if constant is not NOT_CONSTANT:
            return [constant] * len(rows)
        if isinstance(node, BoolOp):
            return self._bool(node, rows)
        if isinstance(node, Field) and node.name in self.facts:
            return list(self.column(node.name, rows))
        if isinstance(node, Compare) and isinstance(node.left, Field):
            right = constant_value(node.right, self.lists)
            if right is not NOT_CONSTANT and right is not None:
                return self._compare(node.op, node.left.name, right, rows)
        return self._each(node, rows)

    def _bool(self, node: BoolOp, rows: Sequence[int]) -> list[Any]:
        # As the compiled 'and' and 'or': a part decides (false for 'and', true for 'or') and the
        # rest is skipped; an unknown part leaves the answer unknown unless a later part decides.
        deciding = node.op == "or"  # the value that decides: True for 'or', False for 'and'
        out: list[Any] = [not deciding] * len(rows)
        open_ = list(range(len(rows)))  # positions in ``rows`` not decided yet
        parts = list(node.operands)
        if self.dear and all(map(_cannot_raise, parts)):
            reads_dear = [bool(_fields(part) & self.dear) for part in parts]
            parts = [p for p, d in zip(parts, reads_dear, strict=True) if not d] + [
                p for p, d in zip(parts, reads_dear, strict=True) if d
            ]
        passing = not deciding  # the value that leaves an order to the next part, answer unchanged
        for part in parts:
            if not open_:
                break
            values = self.values(part, [rows[p] for p in open_])
            # Most values pass (an 'or' whose part is false) and leave the order open, answer
            # unchanged: only the others are looked at one by one.
            others = [i for i, value in enumerate(values) if value is not passing]
            if not others:
                continue
            decided = set()
            for i in others:
                value = values[i]
                if value is deciding or value is ERROR:
                    out[open_[i]] = value
                    decided.add(i)
                else:
                    out[open_[i]] = None
            if decided:
                open_ = [p for i, p in enumerate(open_) if i not in decided]
        return out

    def _compare(self, op: str, name: str, constant: Any, rows: Sequence[int]) -> list[Any]:
        values = self.column(name, rows)
        cmp = CMP[op]
        try:
            return [None if v is None else cmp(v, constant) for v in values]
        except Exception:  # a value of the wrong type somewhere: find which, one order at a time
            return [_safely(cmp, v, constant) for v in values]

    def _each(self, node: Node, rows: Sequence[int]) -> list[Any]:
        fn = compile_part(node, self.lists)
        names = sorted(_fields(node) & self.facts)
        columns = [self.column(name, rows) for name in names]
        out: list[Any] = []
        for values in zip(*columns, strict=True) if columns else ((),) * len(rows):
            try:
                out.append(fn(dict(zip(names, values, strict=True))))
            except Exception:
                out.append(ERROR)
        return out


def _safely(cmp: Callable[[Any, Any], Any], value: Any, constant: Any) -> Any:
    if value is None:
        return None
    try:
        return cmp(value, constant)
    except Exception:
        return ERROR


def _cannot_raise(node: Node) -> bool:
    """Whether a part gives a value whatever its facts hold: a fact, a constant, equality, a null
    test, 'not', 'and' and 'or' of such parts (an ordering or arithmetic can meet a wrong type)."""
    match node:
        case Field() | Str() | Num() | Bool() | ListLit():
            return True
        case Not(operand=o) | IsNull(operand=o):
            return _cannot_raise(o)
        case Compare(op="==" | "!=", left=left, right=right):
            return _cannot_raise(left) and _cannot_raise(right)
        case BoolOp(operands=parts):
            return all(map(_cannot_raise, parts))
    return False


def _fields(node: Node) -> set[str]:
    """The names of the facts a part reads (a line's own facts among them; the caller keeps the rule's)."""
    if isinstance(node, Field):
        return {node.name}
    found: set[str] = set()
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Node):
                found |= _fields(item)
    return found
