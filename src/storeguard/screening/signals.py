"""The risk signals: each a code, a condition over the order's facts, a sentence and a weight.

Pure functions of the facts (plus the few counts that are not facts themselves), so every
signal is tested without a database. ``signals.<code>`` facts say whether the condition holds;
a signal the merchant turned off still sets its fact but adds no weight and no reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storeguard.screening.enums import ReasonSource
from storeguard.screening.policy import SIGNAL_CODES, Reason


@dataclass(slots=True)
class SignalContext:
    """What signals need beyond the facts: thresholds in minor units and a few raw counts."""

    first_order_amount: int  # minor units in the order's currency
    total_minor: int
    address_customers: int = 0  # other customers who used this shipping address
    blocked_links: list[dict[str, Any]] | None = None  # refs of blocked customers this order links to


Check = Callable[[dict[str, Any], dict[str, Any], SignalContext], str | None]


def _country_mismatch(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    bill, ship = f["order.billing_country"], f["order.shipping_country"]
    if bill and ship and bill != ship:
        return f"billing country {bill} differs from shipping country {ship}"
    return None


def _ip_country_mismatch(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    ip, bill, ship = f["order.ip_country"], f["order.billing_country"], f["order.shipping_country"]
    known = [x for x in (bill, ship) if x]
    if ip and known and ip not in known:
        return f"the order was placed from {ip}, which is neither the billing nor the shipping country"
    return None


def _disposable_email(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    if f["email.is_disposable"]:
        return f"the email address uses the disposable domain {f['email.domain']}"
    return None


def _first_order_high_value(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    if not f["order.is_first_order"]:
        return None
    if c.total_minor >= c.first_order_amount:
        return f"first order from this customer, and its total {f['order.total']:g} {f['order.currency']} is high"
    if f["order.has_high_value"]:
        return "first order from this customer, and it contains high-value items"
    return None


def _many_variants(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    n = f["order.max_variants_of_one_product"]
    if n >= int(p.get("min_variants", 3)):
        return f"{n} sizes or colours of one product in one order"
    return None


def _shared_address(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    if c.address_customers >= int(p.get("min_customers", 3)):
        return f"the shipping address was used by {c.address_customers} other customers"
    return None


def _linked_to_blocked(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    n = f["linked.blocked_customers"]
    if n > 0:
        return f"linked through shared identities to {n} blocked customer{'s' if n != 1 else ''}"
    return None


def _high_return_ratio(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    ratio = f["customer.return_ratio"]
    if f["customer.orders_count"] >= int(p.get("min_orders", 3)) and ratio >= float(p.get("ratio", 0.5)):
        return f"the customer returned {ratio:.0%} of the items they bought"
    return None


def _high_refund_ratio(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    ratio = f["customer.refund_ratio"]
    if f["customer.orders_count"] >= int(p.get("min_orders", 3)) and ratio >= float(p.get("ratio", 0.5)):
        return f"{ratio:.0%} of what the customer spent was refunded ({f['customer.refunds_count']} refunds)"
    return None


def _has_chargebacks(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    n = f["customer.chargebacks"]
    if n >= int(p.get("min_chargebacks", 1)):
        return f"the customer has {n} chargeback{'s' if n != 1 else ''} on earlier orders"
    return None


def _many_cancellations(f: dict[str, Any], p: dict[str, Any], c: SignalContext) -> str | None:
    n = f["customer.cancellations"]
    if n >= int(p.get("min_cancellations", 3)):
        return f"{n} of the customer's earlier orders were cancelled"
    return None


CHECKS: dict[str, Check] = {
    "country_mismatch": _country_mismatch,
    "ip_country_mismatch": _ip_country_mismatch,
    "disposable_email": _disposable_email,
    "first_order_high_value": _first_order_high_value,
    "many_variants_of_one_product": _many_variants,
    "shared_shipping_address": _shared_address,
    "linked_to_blocked": _linked_to_blocked,
    "high_return_ratio": _high_return_ratio,
    "high_refund_ratio": _high_refund_ratio,
    "has_chargebacks": _has_chargebacks,
    "many_cancellations": _many_cancellations,
}
assert tuple(CHECKS) == SIGNAL_CODES


def signal_facts(
    facts: dict[str, Any], settings: dict[str, Any], ctx: SignalContext, codes: tuple[str, ...] = SIGNAL_CODES
) -> None:
    """Set ``signals.<code>`` in ``facts`` for these codes, without the reasons (the backtest's facts)."""
    params = settings["signals"]
    for code in codes:
        facts[_FACT_NAMES[code]] = CHECKS[code](facts, params.get(code, {}), ctx) is not None


_FACT_NAMES = {code: f"signals.{code}" for code in CHECKS}


def signal_checks(
    settings: dict[str, Any], codes: tuple[str, ...]
) -> tuple[tuple[str, Check, dict[str, Any]], ...]:
    """Each code's fact name, check and settings, as ``signal_facts`` runs them: for a caller that
    runs the same checks on many orders (the backtest) and looks them up once."""
    params = settings["signals"]
    return tuple((_FACT_NAMES[code], CHECKS[code], params.get(code, {})) for code in codes)


def evaluate_signals(
    facts: dict[str, Any], settings: dict[str, Any], ctx: SignalContext, *, customer_id: int | None = None
) -> list[Reason]:
    """Set ``signals.<code>`` in ``facts`` and return a reason for each enabled signal that fired."""
    reasons: list[Reason] = []
    for code, check in CHECKS.items():
        params = settings["signals"].get(code, {})
        message = check(facts, params, ctx)
        facts[f"signals.{code}"] = message is not None
        if message is None or not params.get("enabled", True):
            continue
        ref: dict[str, Any] | None = {"type": "customer", "id": customer_id} if customer_id else None
        if code == "linked_to_blocked" and ctx.blocked_links:
            ref = ctx.blocked_links[0]
        reasons.append(
            Reason(
                code=code,
                message=message[0].upper() + message[1:] + ".",
                source=ReasonSource.signal,
                weight=int(params.get("weight", 0)),
                ref=ref,
            )
        )
    return reasons
