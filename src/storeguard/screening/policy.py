"""Pure screening rules: default settings, signals, segments, scoring and precedence. No I/O."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.core.money import exponent, to_minor
from storeguard.core.schemas import MONEY_MAX
from storeguard.screening.enums import STRENGTH, Outcome, ReasonSource
from storeguard.screening.errors import ScreeningError

SIGNAL_CODES: tuple[str, ...] = (
    "country_mismatch",
    "ip_country_mismatch",
    "disposable_email",
    "first_order_high_value",
    "many_variants_of_one_product",
    "shared_shipping_address",
    "linked_to_blocked",
    "high_return_ratio",
    "high_refund_ratio",
    "has_chargebacks",
    "many_cancellations",
)
VELOCITY_KINDS: tuple[str, ...] = ("email", "phone", "ip", "device", "card", "address")
WINDOWS: dict[str, int] = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
SEGMENTS: tuple[str, ...] = ("vip", "good", "neutral", "watch", "restricted", "blocked")

# Every number a merchant may tune. A shop's ScreeningSettings.data overrides any part of it.
DEFAULT_SETTINGS: dict[str, Any] = {
    "signals": {
        "country_mismatch": {"weight": 15, "enabled": True},
        "ip_country_mismatch": {"weight": 20, "enabled": True},
        "disposable_email": {"weight": 30, "enabled": True},
        # Amounts are integer minor units in the shop's currency, like every amount on the wire;
        # the defaults are set per currency by ``money_defaults`` (about 500 US dollars here).
        "first_order_high_value": {"weight": 25, "enabled": True, "amount": 50_000},
        "many_variants_of_one_product": {"weight": 20, "enabled": True, "min_variants": 3},
        "shared_shipping_address": {"weight": 20, "enabled": True, "min_customers": 3},
        "linked_to_blocked": {"weight": 40, "enabled": True},
        "high_return_ratio": {"weight": 20, "enabled": True, "ratio": 0.5, "min_orders": 3},
        "high_refund_ratio": {"weight": 15, "enabled": True, "ratio": 0.5, "min_orders": 3},
        "has_chargebacks": {"weight": 35, "enabled": True, "min_chargebacks": 1},
        "many_cancellations": {"weight": 10, "enabled": True, "min_cancellations": 3},
    },
    # A velocity limit fires when the count, this order included, goes above ``max``.
    "velocity": [
        {"fact": "orders_per_email_1h", "max": 3, "weight": 20},
        {"fact": "orders_per_ip_1h", "max": 5, "weight": 20},
        {"fact": "orders_per_card_24h", "max": 5, "weight": 25},
        {"fact": "orders_per_device_24h", "max": 5, "weight": 20},
        {"fact": "orders_per_phone_24h", "max": 5, "weight": 15},
        {"fact": "orders_per_address_24h", "max": 5, "weight": 15},
    ],
    # The score (0-100) that leads to each decision; null turns a step off.
    "score_thresholds": {"verify": 40, "review": 60, "block": None},
    "segments": {
        "vip": {"min_orders": 10, "min_spent": 100_000, "max_return_ratio": 0.1, "weight": -20},
        "good": {"min_orders": 3, "max_return_ratio": 0.2, "weight": -10},
        "watch": {
            "return_ratio": 0.3,
            "refund_ratio": 0.3,
            "chargebacks": 1,
            "cancellations": 3,
            "weight": 15,
        },
        "restricted": {"return_ratio": 0.6, "chargebacks": 2, "action": "review", "weight": 25},
    },
    # What a block does to an order that already exists on the platform.
    "on_block": {"refund": True, "restock": True},
    # What a weak link to a blocked customer (a card's BIN and last four, an address under another
    # name, an IP) asks for: review or verify at most, never block; null only shows the possible match.
    "weak_link_action": "review",
    "verification": {
        "method": "card_3ds",
        "satisfied_by": "the payment is authorised again with 3-D Secure by the card holder",
    },
}


# The money settings (section, name, key), in minor units of the shop's currency.
MONEY_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("signals", "first_order_high_value", "amount"),
    ("segments", "vip", "min_spent"),
)
MONEY_KEYS = frozenset(key for _, _, key in MONEY_SETTINGS)
# About 500 US dollars in each currency's major unit, rounded to what a merchant would type: the
# "high-value first order" default, so a first order of 600 kroner is not treated like one of
# 600 dollars. A VIP has spent twice it. Other currencies get 500 of their major unit.
HIGH_VALUE_FIRST_ORDER: dict[str, int] = {
    "USD": 500,
    "EUR": 500,
    "GBP": 400,
    "CHF": 450,
    "CAD": 700,
    "AUD": 750,
    "NZD": 800,
    "SGD": 650,
    "HKD": 4000,
    "NOK": 5000,
    "SEK": 5000,
    "DKK": 3500,
    "ISK": 70000,
    "PLN": 2000,
    "CZK": 12000,
    "HUF": 180000,
    "ILS": 1800,
    "JPY": 75000,
    "CNY": 3500,
    "KRW": 700000,
    "INR": 40000,
    "BRL": 2500,
    "MXN": 9000,
    "ZAR": 9000,
    "TRY": 17000,
    "AED": 1800,
}


def money_defaults(currency: str) -> dict[tuple[str, str, str], int]:
    """The default money settings for a shop selling in ``currency``, in its minor units."""
    major = HIGH_VALUE_FIRST_ORDER.get(currency, 500)
    unit = 10 ** exponent(currency)
    return {MONEY_SETTINGS[0]: major * unit, MONEY_SETTINGS[1]: 2 * major * unit}


def merged_settings(overrides: dict[str, Any] | None, currency: str = "USD") -> dict[str, Any]:
    """Return the defaults for the shop's currency with its overrides laid over them, key by key.

    A money setting stored as major-unit text by an earlier version ("500.00") reads as minor units.
    """
    return _overlaid(default_settings(currency), stored_money_as_minor(overrides, currency))


def default_settings(currency: str) -> dict[str, Any]:
    """Return the default settings of a shop selling in ``currency`` (its money defaults in its minor units)."""
    result = copy.deepcopy(DEFAULT_SETTINGS)
    for (section, name, key), amount in money_defaults(currency).items():
        result[section][name][key] = amount
    return result


def stored_money_as_minor(overrides: dict[str, Any] | None, currency: str) -> dict[str, Any]:
    """Return stored overrides with money kept as major-unit text by an earlier version in minor units.

    Only what is stored is read this way: a change sent today is minor units, or it is refused.
    """
    result = copy.deepcopy(overrides or {})
    for section, name, key in MONEY_SETTINGS:
        part = result.get(section, {}).get(name) if isinstance(result.get(section), dict) else None
        if isinstance(part, dict) and isinstance(part.get(key), str):
            with contextlib.suppress(Invalid):  # not an amount: validation names it
                part[key] = to_minor(part[key], currency)
    return result


def _overlaid(result: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            for sub, subval in value.items():
                if isinstance(subval, dict) and isinstance(result[key].get(sub), dict):
                    result[key][sub] = {**result[key][sub], **subval}
                else:
                    result[key][sub] = subval
        else:
            result[key] = value
    return result


@dataclass(slots=True)
class Reason:
    """One readable reason: a code, a sentence, its source and what it points at."""

    code: str
    message: str
    source: ReasonSource
    action: Outcome | None = None  # what the reason asks for; None when it only adds weight
    weight: int = 0
    ref: dict[str, Any] | None = None  # {"type": "list_entry" | "rule" | "customer", "id": ...}
    path: list[dict[str, Any]] | None = None  # how a linked entry was reached
    lines: list[dict[str, Any]] | None = None  # the lines a scoped entry applies to
    decisive: bool = False
    identifiers: list[str] | None = None  # what one cause matched, in words (a block's entries)

    def as_dict(self) -> dict[str, Any]:
        """Return the reason as it is stored and sent."""
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "source": self.source.value,
            "action": self.action.value if self.action else None,
            "weight": self.weight,
            "ref": self.ref,
            "decisive": self.decisive,
        }
        if self.path is not None:
            out["path"] = self.path
        if self.lines is not None:
            out["lines"] = self.lines
        if self.identifiers is not None:
            out["identifiers"] = self.identifiers
        return out


@dataclass(slots=True)
class Verdict:
    """The combined answer before it is stored."""

    decision: Outcome
    score: int
    reasons: list[Reason] = field(default_factory=list)
    restricted_lines: list[dict[str, Any]] = field(default_factory=list)


WEAK_LINK_ACTIONS = ("review", "verify", None)


def weak_link_outcome(entry_action: str | None, setting: str | None) -> Outcome | None:
    """Say what a weak link to a blocked customer asks for: the weaker of their entry's action and the
    merchant's ``weak_link_action``, and never block; None when the merchant only wants it shown."""
    if setting not in ("review", "verify"):
        return None
    wanted = Outcome(setting)
    entry = Outcome(entry_action) if entry_action else Outcome.block
    return entry if entry.strength < wanted.strength else wanted


def rules_matched(reasons: list[Reason]) -> list[int]:
    """Return the ids of the rules the reasons name (one reason per rule that fired)."""
    return [r.ref["id"] for r in reasons if r.source == ReasonSource.rule and r.ref is not None]


def score_of(reasons: list[Reason]) -> int:
    """Add the weights of every reason, clamped to 0..100."""
    return max(0, min(100, sum(r.weight for r in reasons)))


def score_outcome(score: int, thresholds: dict[str, int | None]) -> Outcome | None:
    """Return the strongest decision whose score threshold is reached, if any."""
    for outcome in (Outcome.block, Outcome.review, Outcome.verify):
        limit = thresholds.get(outcome.value)
        if limit is not None and score >= limit:
            return outcome
    return None


def decide(reasons: list[Reason], thresholds: dict[str, int | None]) -> Verdict:
    """Combine reasons into one decision by the documented precedence (docs/screening.md).

    1. An allow entry (on the order's identifiers or through a link) wins outright.
    2. Otherwise the strongest action wins (block > review > verify) among list and link
       entries, rules, the customer's segment and the score thresholds.
    3. A rule that says allow overrides only what the score and segment alone would decide;
       it never overrides an entry or a stronger rule.
    """
    score = score_of(reasons)
    allows = [r for r in reasons if r.action is _ALLOW and r.source in _ENTRY_SOURCES]
    if allows:
        for r in allows:
            r.decisive = True
        score = consistent_score(score, Outcome.allow, thresholds)
        return Verdict(Outcome.allow, score, _ordered(reasons), _restricted_lines(reasons))

    explicit = [
        r
        for r in reasons
        if r.action is not None and r.action is not _ALLOW and r.source in _EXPLICIT_SOURCES
    ]
    implicit = [r for r in reasons if r.action is not None and r.source is _SEGMENT]
    by_score = score_outcome(score, thresholds)
    rule_allows = [r for r in reasons if r.action is _ALLOW and r.source is _RULE]

    best_explicit = max((STRENGTH[r.action] for r in explicit), default=-1)
    best_implicit = max((STRENGTH[r.action] for r in implicit), default=-1)
    best_score = STRENGTH[by_score] if by_score else -1
    if rule_allows and best_explicit < 0:
        best_implicit = best_score = -1  # the merchant's own allow rule vouches for this order
    strongest = max(best_explicit, best_implicit, best_score)

    if strongest <= 0:
        for r in rule_allows:
            r.decisive = True
        score = consistent_score(score, Outcome.allow, thresholds)
        return Verdict(Outcome.allow, score, _ordered(reasons), _restricted_lines(reasons))
    outcome = next(o for o in Outcome if STRENGTH[o] == strongest)
    decisive = [r for r in explicit + implicit if r.action is outcome]
    if best_score == strongest and not decisive:
        decisive = [r for r in reasons if r.weight > 0]
    for r in decisive:
        r.decisive = True
    return Verdict(
        outcome, consistent_score(score, outcome, thresholds), _ordered(reasons), _restricted_lines(reasons)
    )


# The least score each decision reads as, where the shop sets no threshold for it.
_SCORE_FLOORS = {"verify": 40, "review": 60, "block": 100}


def consistent_score(score: int, outcome: Outcome, thresholds: dict[str, int | None]) -> int:
    """Return a score that reads as the decision: a block an entry made is not "25 out of 100".

    A decision stronger than the weights alone lifts the score to that decision's threshold; an
    allow (an allow entry or rule outweighing the weights) keeps it under the lowest threshold.
    """
    if outcome is Outcome.allow:
        limits = [v for v in thresholds.values() if v is not None]
        return min(score, min(limits) - 1) if limits else score
    floor = thresholds.get(outcome.value)
    return max(score, floor if floor is not None else _SCORE_FLOORS[outcome.value])


# Read once: looking an enum member up by attribute on every reason was a real share of a decision.
_ALLOW, _SEGMENT, _RULE = Outcome.allow, ReasonSource.segment, ReasonSource.rule
_ENTRY_SOURCES = frozenset((ReasonSource.list, ReasonSource.link))
_EXPLICIT_SOURCES = frozenset((ReasonSource.list, ReasonSource.link, ReasonSource.rule))


def _ordered(reasons: list[Reason]) -> list[Reason]:
    """Put the reasons that decided first, then by weight, so the answer reads at one glance."""
    return sorted(
        reasons, key=lambda r: (not r.decisive, -(STRENGTH[r.action] if r.action else -1), -r.weight)
    )


def _restricted_lines(reasons: list[Reason]) -> list[dict[str, Any]]:
    """Collect the lines that scoped (non-allow) entries apply to, once each."""
    seen: dict[int, dict[str, Any]] = {}
    for r in reasons:
        if r.lines and r.action not in (None, Outcome.allow):
            for line in r.lines:
                key = line.get("index", len(seen))
                entry = seen.setdefault(key, {**line, "actions": []})
                if r.action.value not in entry["actions"]:
                    entry["actions"].append(r.action.value)
    return [seen[k] for k in sorted(seen)]


@dataclass(slots=True)
class CustomerMetrics:
    """What a customer did before this order (money in minor units of the shop's currency)."""

    orders_count: int = 0
    total_spent: int = 0
    refunds_count: int = 0
    refunded_amount: int = 0
    items_bought: int = 0
    items_returned: int = 0
    cancellations: int = 0
    chargebacks: int = 0

    @property
    def refund_ratio(self) -> float:
        return round(self.refunded_amount / self.total_spent, 4) if self.total_spent > 0 else 0.0

    @property
    def return_ratio(self) -> float:
        return round(self.items_returned / self.items_bought, 4) if self.items_bought > 0 else 0.0


def segment_for(
    m: CustomerMetrics,
    rules: dict[str, Any],
    *,
    blocked: bool,
    min_spent_vip: int,
    linked_to_blocked: bool = False,
) -> str:
    # "blocked" is an active block on the customer; its list entry is the reason, not the segment.
    """Place a customer in a segment from their metrics and the merchant's thresholds.

    An account linked to a blocked customer is never vip or good: a second account must not earn
    the good customer's bonus while the link stands.
    """
    if blocked:
        return "blocked"
    r = rules["restricted"]
    if m.return_ratio >= r.get("return_ratio", 2) or m.chargebacks >= r.get("chargebacks", 10**9):
        return "restricted"
    w = rules["watch"]
    if (
        m.return_ratio >= w.get("return_ratio", 2)
        or m.refund_ratio >= w.get("refund_ratio", 2)
        or m.chargebacks >= w.get("chargebacks", 10**9)
        or m.cancellations >= w.get("cancellations", 10**9)
    ):
        return "watch"
    if linked_to_blocked:
        return "neutral"
    v = rules["vip"]
    if (
        m.orders_count >= v.get("min_orders", 10**9)
        and m.total_spent >= min_spent_vip
        and m.return_ratio <= v.get("max_return_ratio", 0)
    ):
        return "vip"
    g = rules["good"]
    if m.orders_count >= g.get("min_orders", 10**9) and m.return_ratio <= g.get("max_return_ratio", 0):
        return "good"
    return "neutral"


def orders_counted(rules: dict[str, Any]) -> int:
    """The most orders a segment's threshold reads: beyond it, more orders place a customer alike."""
    return max(rules["vip"].get("min_orders", 10**9), rules["good"].get("min_orders", 10**9))


def segment_key(m: tuple[int, ...], most_orders: int, min_spent_vip: int) -> tuple[int | bool, ...]:
    """The part of a customer's metrics (``CustomerMetrics``'s fields, in order) ``segment_for``
    reads: customers with one key land in one segment, so a backtest places each key once.

    Orders beyond ``orders_counted`` count alike; with nothing refunded, the spend matters only as
    at or above the vip's least; how many refunds (not their amount) is never read.
    """
    orders, spent, _refunds, refunded, bought, returned, cancellations, chargebacks = m
    return (
        orders if orders < most_orders else most_orders,
        spent if refunded else spent >= min_spent_vip,
        refunded,
        bought,
        returned,
        cancellations,
        chargebacks,
    )


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _int_in(value: Any, low: int, high: int, field: str) -> None:

    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            ScreeningError.invalid_settings,
            f"{field} must be a whole number from {low} to {high}",
            field=field,
        )


def _changed(changes: dict[str, Any], section: str, name: str) -> Any:
    part = changes.get(section)
    return part.get(name) if isinstance(part, dict) else None


def _check_part(
    field: str, conf: Any, defaults: dict[str, Any], allowed: Collection[str], changed: Any
) -> None:
    """Refuse one signal's or segment's settings when a value is unlike its default's kind."""

    if not isinstance(conf, dict):
        raise Invalid(ScreeningError.invalid_settings, f"{field} is an object of settings", field=field)
    # Only a key this change names is refused as unknown: one stored earlier could never be removed.
    for key in changed if isinstance(changed, dict) else ():
        if key not in allowed:
            raise Invalid(
                ScreeningError.invalid_settings,
                f"{key!r} is not a setting of {field}",
                field=f"{field}.{key}",
            )
    for key, value in conf.items():
        where, default = f"{field}.{key}", defaults.get(key)
        if key == "weight":
            _int_in(value, -100, 100, where)
        elif key == "action":
            if value not in (None, "verify", "review", "block"):
                raise Invalid(
                    ScreeningError.invalid_settings, f"{where} is verify, review, block or null", field=where
                )
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise Invalid(ScreeningError.invalid_settings, f"{where} is true or false", field=where)
        elif isinstance(default, int) and key not in MONEY_KEYS:
            _int_in(value, 0, 10**9, where)
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise Invalid(
                    ScreeningError.invalid_settings, f"{where} must be a number from 0 to 1", field=where
                )
        elif key in MONEY_KEYS and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MONEY_MAX
        ):
            raise Invalid(
                ScreeningError.invalid_settings,
                f"{where} is an amount in minor units of the shop's currency (an integer of zero or more)",
                field=where,
            )


def validate_settings_change(
    current: dict[str, Any], changes: dict[str, Any], currency: str = "USD"
) -> dict[str, Any]:
    """Return a shop's overrides with ``changes`` merged in, or raise ``Invalid`` naming the bad field.

    Money is minor units of the shop's ``currency``; text an earlier version stored is converted.
    """

    unknown = set(changes) - set(DEFAULT_SETTINGS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(
            ScreeningError.invalid_settings, f"{name!r} is not a screening setting", field=f"settings.{name}"
        )
    merged_overrides = _deep_merge(stored_money_as_minor(current, currency), changes)
    full = _overlaid(default_settings(currency), merged_overrides)
    if full["weak_link_action"] not in WEAK_LINK_ACTIONS:
        raise Invalid(
            ScreeningError.invalid_settings,
            "weak_link_action is review, verify or null: a weak link never blocks",
            field="settings.weak_link_action",
        )
    for section, default in DEFAULT_SETTINGS.items():
        if section == "weak_link_action":
            continue
        if type(full[section]) is not type(default):
            kind = "an object" if isinstance(default, dict) else "a list of limits"
            raise Invalid(
                ScreeningError.invalid_settings, f"{section} is {kind}", field=f"settings.{section}"
            )
    for code, conf in full["signals"].items():
        if code not in SIGNAL_CODES:
            raise Invalid(
                ScreeningError.invalid_settings, f"{code!r} is not a signal", field=f"settings.signals.{code}"
            )
        defaults = DEFAULT_SETTINGS["signals"][code]
        _check_part(f"settings.signals.{code}", conf, defaults, defaults, _changed(changes, "signals", code))
    known = {f"{what}_per_{k}_{w}" for what in ("orders", "amount") for k in VELOCITY_KINDS for w in WINDOWS}
    for i, limit in enumerate(full["velocity"]):
        if not isinstance(limit, dict) or limit.get("fact") not in known:
            raise Invalid(
                ScreeningError.invalid_settings,
                f"velocity limit {i} names no velocity fact",
                field=f"settings.velocity.{i}.fact",
            )
        _int_in(limit.get("max"), 0, 10**9, f"settings.velocity.{i}.max")
        _int_in(limit.get("weight"), -100, 100, f"settings.velocity.{i}.weight")
    for step, value in full["score_thresholds"].items():
        if step not in ("verify", "review", "block"):
            raise Invalid(
                ScreeningError.invalid_settings,
                f"{step!r} is not a decision",
                field=f"settings.score_thresholds.{step}",
            )
        if value is not None:
            _int_in(value, 0, 100, f"settings.score_thresholds.{step}")
    for name, conf in full["segments"].items():
        if name not in SEGMENTS:
            raise Invalid(
                ScreeningError.invalid_settings,
                f"{name!r} is not a segment",
                field=f"settings.segments.{name}",
            )
        defaults = DEFAULT_SETTINGS["segments"].get(name, {})
        # neutral and blocked take no settings: neutral is where no threshold places a customer,
        # and a blocked customer's block entry decides (engine._segment_reasons gives them no reason).
        allowed = {*defaults, "weight", "action"} if defaults else set()
        _check_part(f"settings.segments.{name}", conf, defaults, allowed, _changed(changes, "segments", name))
    for key in ("refund", "restock"):
        if not isinstance(full["on_block"].get(key), bool):
            raise Invalid(
                ScreeningError.invalid_settings,
                f"on_block.{key} is true or false",
                field=f"settings.on_block.{key}",
            )
    return merged_overrides
