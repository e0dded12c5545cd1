"""The value rules of the language, shared by the compiled closures and the explaining interpreter."""

from __future__ import annotations

import ipaddress
import operator
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import re2

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


Networks = tuple[tuple[ipaddress.IPv4Network, ...], tuple[ipaddress.IPv6Network, ...]]


@lru_cache(maxsize=1024)
def pattern(text: str) -> Any:
    """Compile a rule's regular expression with RE2, whose matching time is linear in the text.

    RE2 has no backtracking, so no pattern can make a rule run long; the patterns it does not
    take (backreferences, lookaround) raise ``re2.error``, which the checker turns into a refusal.
    """
    options = re2.Options()
    options.max_mem = 1 << 20  # a pattern that needs more than a megabyte of automaton is refused
    options.log_errors = False
    return re2.compile(text, options)


def networks(values: Iterable[str]) -> Networks:
    """Read a list of IP ranges ('203.0.113.0/24', a lone address); raise ValueError on any other value."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for value in values:
        net = ipaddress.ip_network(value.strip(), strict=False)
        (v4 if net.version == 4 else v6).append(net)  # type: ignore[arg-type]
    return tuple(v4), tuple(v6)


@lru_cache(maxsize=256)
def _networks(values: frozenset[str]) -> Networks:
    return networks(values)


def in_networks(address: str, nets: Networks) -> bool | None:
    """Return whether an IP address is in one of the ranges; unknown when the text is no address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    return any(ip in n for n in (nets[0] if ip.version == 4 else nets[1]))


def icontains(receiver: Any, value: str) -> bool:
    """Return whether text holds ``value`` or a list holds it, ignoring case."""
    folded = value.casefold()
    if isinstance(receiver, str):
        return folded in receiver.casefold()
    return any(item.casefold() == folded for item in receiver)


def property_value(properties: Any, folded_name: str) -> str | None:
    """Return a line property's text by name (``folded_name`` already trimmed and casefolded), or None.

    A line holds at most 50 properties (orders.line_properties), so the scan is bounded.
    """
    for name, value in properties.items():
        if name.strip().casefold() == folded_name:
            return value  # type: ignore[no-any-return]
    return None


def property_name(name: str) -> str:
    """Return a property name as lookups compare it: trimmed, ignoring case."""
    return name.strip().casefold()


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
    if method == "icontains":
        return icontains(receiver, args[0])
    if method == "istartswith":
        return receiver.casefold().startswith(args[0].casefold())
    if method == "iendswith":
        return receiver.casefold().endswith(args[0].casefold())
    if method == "iequals":
        return receiver.casefold() == args[0].casefold()
    if method == "matches":
        return pattern(args[0]).search(receiver) is not None
    if method == "in_range":
        return in_networks(receiver, _networks(frozenset(args[0])))
    if method == "get":
        return property_value(receiver, property_name(args[0]))
    if method == "has":
        return property_value(receiver, property_name(args[0])) is not None
    raise ValueError(f"unknown method {method}")
