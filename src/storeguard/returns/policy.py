"""Pure rules of returns: the shop's policy as data, what may still be returned, windows and fees.

Nothing here reads or writes the database; the actions hand these functions what they loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.returns.enums import Condition, ReturnError, ReturnStatus

# Every part of a return policy a merchant may tune; a shop's stored policy overrides any of it.
DEFAULT_POLICY: dict[str, Any] = {
    # Days from delivery (or shipment, when delivery is not known) to ask for a return.
    "window_days": 30,
    # Shorter or longer windows for some product categories: {"swimwear": 14}.
    "category_windows": {},
    # Whether staff may accept a return after the window (the request says so; it is recorded).
    "late_returns_allowed": False,
    # The share of a line's value kept, in percent, by the condition it came back in.
    "fees": {
        Condition.new_with_tags: 0,
        Condition.used: 20,
        Condition.damaged_by_customer: 50,
        Condition.not_the_item_sent: 100,
    },
    # Which conditions go back into stock.
    "restock": {
        Condition.new_with_tags: True,
        Condition.used: False,
        Condition.damaged_by_customer: False,
        Condition.not_the_item_sent: False,
    },
    # The customer segments whose returns may be refunded before the goods are inspected.
    "refund_before_inspection": ["vip"],
}
SEGMENTS = ("vip", "good", "neutral", "watch", "restricted", "blocked")

# Which states each step starts from. A refund may also start before inspection when the policy
# lets the customer's segment (``refund_needs_inspection``).
STEPS: dict[str, frozenset[ReturnStatus]] = {
    "authorize": frozenset({ReturnStatus.requested}),
    "decline": frozenset({ReturnStatus.requested}),
    "receive": frozenset({ReturnStatus.authorized}),
    "inspect": frozenset({ReturnStatus.received}),
    "refund": frozenset({ReturnStatus.inspected}),
    "reject": frozenset({ReturnStatus.received, ReturnStatus.inspected}),
}
EARLY_REFUND_FROM = frozenset({ReturnStatus.authorized, ReturnStatus.received})


def merged_policy(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the default policy with the shop's own settings laid over it."""
    policy = deepcopy(DEFAULT_POLICY)
    for key, value in (stored or {}).items():
        if isinstance(policy.get(key), dict) and isinstance(value, dict) and key != "category_windows":
            policy[key] = {**policy[key], **value}
        else:
            policy[key] = value
    return policy


def validate_policy_change(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return the shop's stored policy with ``changes`` merged, or refuse naming the bad field."""
    unknown = sorted(set(changes) - set(DEFAULT_POLICY))
    if unknown:
        raise _bad(unknown[0], f"{unknown[0]!r} is not part of a return policy")
    merged = {**current, **changes}
    full = merged_policy(merged)
    _whole(full["window_days"], 0, 3650, "window_days")
    windows = full["category_windows"]
    if not isinstance(windows, dict):
        raise _bad("category_windows", "category_windows maps a category to days")
    for category, days in windows.items():
        if not isinstance(category, str) or not category.strip():
            raise _bad("category_windows", "a category is a name")
        _whole(days, 0, 3650, f"category_windows.{category}")
    if not isinstance(full["late_returns_allowed"], bool):
        raise _bad("late_returns_allowed", "late_returns_allowed is true or false")
    for section, check in (("fees", _percent), ("restock", _flag)):
        part = full[section]
        if not isinstance(part, dict) or set(part) - set(Condition):
            raise _bad(section, f"{section} names conditions: {', '.join(Condition)}")
        for condition, value in part.items():
            check(value, f"{section}.{condition}")
    segments = full["refund_before_inspection"]
    if not isinstance(segments, list) or any(s not in SEGMENTS for s in segments):
        raise _bad(
            "refund_before_inspection", f"refund_before_inspection lists segments: {', '.join(SEGMENTS)}"
        )
    return merged


def returnable_quantity(*, quantity: int, fulfilled: int, refunded: int, in_returns: int) -> int:
    """Units of a line that may still be asked back: shipped, not refunded, not in another return."""
    return max(0, min(fulfilled, quantity - refunded) - in_returns)


def window_days(policy: Mapping[str, Any], categories: Iterable[str]) -> int:
    """The return window of a line, in days: its category's own when it has one, else the shop's."""
    windows = policy["category_windows"]
    own = [int(windows[c]) for c in categories if c in windows]
    return min(own) if own else int(policy["window_days"])


def window_end(delivered_at: datetime, days: int) -> datetime:
    """The last moment of a return window that opened at delivery."""
    return delivered_at + timedelta(days=days)


def window_closed(delivered_at: datetime, days: int, at: datetime) -> bool:
    """Tell whether a return asked for ``at`` comes after the window that opened at delivery."""
    return at > window_end(delivered_at, days)


def line_fee(value: int, condition: Condition | str, policy: Mapping[str, Any]) -> int:
    """The part of a line's refund value kept for its condition (rounded down: never over-charge)."""
    return value * int(policy["fees"][str(condition)]) // 100


def restocks(condition: Condition | str, policy: Mapping[str, Any]) -> bool:
    """Tell whether goods in this condition go back into stock."""
    return bool(policy["restock"][str(condition)])


def refund_needs_inspection(policy: Mapping[str, Any], segment: str) -> bool:
    """Tell whether a refund must wait for inspection for a customer in ``segment``."""
    return segment not in policy["refund_before_inspection"]


def step_allowed(step: str, status: ReturnStatus | str) -> bool:
    """Tell whether ``step`` may be taken from ``status``."""
    return ReturnStatus(status) in STEPS[step]


def _whole(value: Any, low: int, high: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"{field} is a whole number from {low} to {high}")


def _percent(value: Any, field: str) -> None:
    _whole(value, 0, 100, field)


def _flag(value: Any, field: str) -> None:
    if not isinstance(value, bool):
        raise _bad(field, f"{field} is true or false")


def _bad(field: str, message: str) -> Invalid:
    return Invalid(ReturnError.invalid_policy, message, field=f"policy.{field}")
