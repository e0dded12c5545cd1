"""Which rules could fire on an order, found without running them all.

Most merchant rules test a fact against a constant, alone or as one part of an ``and``:
``order.total > 500``, ``email.domain == 'x.example' and ...``. That comparison must be true for
the rule to fire, so it is the rule's guard. The index keeps the guards' constants sorted per fact
and operator (and in a table for ``==``), and an order's candidates are found by bisection: a shop
with hundreds of threshold rules runs only the few whose guard passes. Rules without a guard are
always candidates. The index may name a rule that then does not fire (the full condition is run
on every candidate), never miss one: a value the index cannot order (text against numbers, a
list) makes every rule of that fact a candidate.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from storeguard.rules.nodes import BoolOp, Compare, Field, Node, Num, Str

_ORDERED = (">", ">=", "<", "<=")
_FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "=="}
_NUMBERS = (int, float, bool)

Guard = tuple[str, str, Any]  # (fact, operator, constant): the fact is on the left


def guard_of(condition: Node) -> Guard | None:
    """Return a comparison that must be true for ``condition`` to be true, if there is one."""
    parts = condition.operands if isinstance(condition, BoolOp) and condition.op == "and" else (condition,)
    for part in parts:
        guard = _comparison(part)
        if guard is not None:
            return guard
    return None


def _comparison(node: Node) -> Guard | None:
    if not isinstance(node, Compare) or node.op not in _FLIPPED:
        return None
    if isinstance(node.left, Field) and isinstance(node.right, Num | Str):
        name, op, constant = node.left.name, node.op, node.right.value
    elif isinstance(node.right, Field) and isinstance(node.left, Num | Str):
        name, op, constant = node.right.name, _FLIPPED[node.op], node.left.value
    else:
        return None
    if isinstance(constant, str) and op != "==":
        return None  # text ordering is rare in rules; such a rule is simply always a candidate
    if isinstance(constant, float) and constant != constant:
        return None
    return name, op, constant


class RuleIndex:
    """The rules of a rule set, by guard; ``candidates(facts)`` lists the indexes to run, in order."""

    __slots__ = ("always", "ordered", "equal", "size")

    def __init__(self, conditions: Sequence[Node]) -> None:
        self.size = len(conditions)
        self.always: list[int] = []
        ordered: dict[tuple[str, str], list[tuple[Any, int]]] = {}
        self.equal: dict[str, dict[Any, list[int]]] = {}
        for i, condition in enumerate(conditions):
            guard = guard_of(condition)
            if guard is None:
                self.always.append(i)
                continue
            name, op, constant = guard
            if op == "==":
                self.equal.setdefault(name, {}).setdefault(constant, []).append(i)
            else:
                ordered.setdefault((name, op), []).append((constant, i))
        # Per (fact, operator): the constants sorted, and the rule indexes in the same order.
        self.ordered: list[tuple[str, str, list[Any], list[int]]] = []
        for (name, op), pairs in ordered.items():
            pairs.sort(key=lambda p: p[0])
            self.ordered.append((name, op, [c for c, _ in pairs], [i for _, i in pairs]))

    def candidates(self, facts: Mapping[str, Any]) -> list[int]:
        """Return the indexes of the rules whose guard passes (or that have none), in rule order."""
        out = list(self.always)
        for name, op, constants, rules in self.ordered:
            value = facts.get(name)
            if value is None:
                continue  # an unknown fact makes the guard unknown: the rule cannot fire
            if not isinstance(value, _NUMBERS):
                out += rules  # cannot bisect; let the conditions decide
            elif op == ">":  # constant < value
                out += rules[: bisect_left(constants, value)]
            elif op == ">=":  # constant <= value
                out += rules[: bisect_right(constants, value)]
            elif op == "<":  # constant > value
                out += rules[bisect_right(constants, value) :]
            else:  # "<=": constant >= value
                out += rules[bisect_left(constants, value) :]
        for name, table in self.equal.items():
            value = facts.get(name)
            if value is None:
                continue
            try:
                hit = table.get(value)
            except TypeError:  # unhashable (a list fact compared with ==): every rule of the fact
                hit = [i for group in table.values() for i in group]
            if hit:
                out += hit
        out.sort()
        return out
