"""The value rules of the language, shared by the compiled closures and the explaining interpreter."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

# Whole numbers past this size turn into floats, so no rule can grow a huge integer.
INT_LIMIT = 10**18
CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def clamp(value: int | float) -> int | float | None:
    """Turn NaN into unknown and huge whole numbers into floats."""
    if value != value:  # NaN (inf - inf) is unknown, not a number that compares false
        return None
    if type(value) is int and (value > INT_LIMIT or value < -INT_LIMIT):
        return float(value)
    return value


def arith(op: str, a: Any, b: Any) -> Any:
    """Apply ``+ - * /`` with the language's rules: unknown in, unknown out; x / 0 is unknown."""
    if a is None or b is None:
        return None
    if op == "+":
        return clamp(a + b)
    if op == "-":
        return clamp(a - b)
    if op == "*":
        return clamp(a * b)
    return None if b == 0 else clamp(a / b)


def call_method(method: str, receiver: Any, args: Sequence[Any]) -> Any:
    """Apply one whitelisted method; unknown receiver or argument gives unknown."""
    if receiver is None or any(a is None for a in args):
        return None
    if method == "lower":
        return receiver.lower()
    if method == "upper":
        return receiver.upper()
    if method == "trim":
        return receiver.strip()
    if method == "startswith":
        return receiver.startswith(args[0])
    if method == "endswith":
        return receiver.endswith(args[0])
    if method == "contains":
        return args[0] in receiver
    if method == "contains_any":
        return not frozenset(args[0]).isdisjoint(receiver)
    if method == "length":
        return len(receiver)
    raise ValueError(f"unknown method {method}")
