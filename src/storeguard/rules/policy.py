"""Pure checks on rule and named-list input (no session, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from storeguard.core.errors import CommonError, Invalid
from storeguard.rules.errors import RuleErrorCode as E
from storeguard.rules.named_lists import BUILTIN_LISTS

MAX_NAME_CHARS = 200
PRIORITY_RANGE = (-1_000_000, 1_000_000)
LIST_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_LIST_VALUES = 10_000
MAX_LIST_VALUE_CHARS = 255


def clean_rule_name(name: str | None) -> str:
    """Return the trimmed rule name, or refuse an empty or overlong one."""
    name = (name or "").strip()
    if not name:
        raise Invalid(CommonError.name_required, "a rule needs a name", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise Invalid(
            E.name_too_long, f"a rule name may be at most {MAX_NAME_CHARS} characters", field="name"
        )
    return name


def check_priority(priority: int) -> int:
    """Refuse a priority outside the supported range (lower numbers run first)."""
    low, high = PRIORITY_RANGE
    if not low <= priority <= high:
        raise Invalid(E.priority_out_of_range, f"priority must be between {low} and {high}", field="priority")
    return priority


def clean_list_name(name: str | None) -> str:
    """Return a valid named-list name, or refuse it (lowercase letters, digits, underscores)."""
    name = (name or "").strip().removeprefix("@")
    if not LIST_NAME.match(name):
        raise Invalid(
            E.named_list_name_invalid,
            "a list name starts with a lowercase letter and holds only a-z, 0-9 and _ (at most 64), "
            "like high_risk_countries",
            field="name",
        )
    if name in BUILTIN_LISTS:
        raise Invalid(E.named_list_builtin, f"@{name} is built in and cannot be replaced", field="name")
    return name


def clean_list_values(values: Iterable[str]) -> list[str]:
    """Trim values, drop blanks and repeats (keeping order), and refuse oversized lists."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        if not isinstance(raw, str):
            raise Invalid(E.named_list_value_invalid, "list values are text", field="values")
        value = raw.strip()
        if not value or value in seen:
            continue
        if len(value) > MAX_LIST_VALUE_CHARS:
            raise Invalid(
                E.named_list_value_invalid,
                f"a list value may be at most {MAX_LIST_VALUE_CHARS} characters: {value[:40]!r}...",
                field="values",
            )
        seen.add(value)
        out.append(value)
        if len(out) > MAX_LIST_VALUES:
            raise Invalid(
                E.named_list_too_large,
                f"a named list may hold at most {MAX_LIST_VALUES} values",
                field="values",
            )
    return out
