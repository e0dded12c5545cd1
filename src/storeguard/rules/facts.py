"""The documented facts a rule may read: the contract between rules and screening.

Screening builds, for each order, a flat mapping with exactly these dotted keys
(``storeguard.screening.facts.build_facts``). Money facts are in MAJOR units of the order's
currency, as numbers: a merchant writes ``order.total > 500`` meaning 500.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storeguard.risk.enums import FindingType


class FactType(StrEnum):
    """The type of a fact's value (``integer`` is a number that is always whole)."""

    number = "number"
    integer = "integer"
    string = "string"
    bool = "bool"
    string_list = "string_list"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact: its dotted name, type, what it means, and whether it may be unknown (null)."""

    name: str
    type: FactType
    description: str
    nullable: bool = False


N, INT, S, B, L = FactType.number, FactType.integer, FactType.string, FactType.bool, FactType.string_list

_ORDER = [
    ("order.total", N, "Order total in major units of the order's currency (500 means 500.00).", False),
    ("order.subtotal", N, "Sum of the line items before shipping and taxes, in major units.", False),
    ("order.shipping", N, "Shipping charged, in major units.", False),
    ("order.currency", S, "ISO 4217 currency code of the order, e.g. 'USD'.", False),
    ("order.item_count", INT, "Number of items (sum of quantities).", False),
    ("order.line_count", INT, "Number of order lines.", False),
    ("order.has_high_value", B, "The order holds a product marked high value.", False),
    ("order.has_limited_edition", B, "The order holds a product marked limited edition.", False),
    ("order.categories", L, "Product categories in the order.", False),
    ("order.tags", L, "Product tags in the order.", False),
    (
        "order.max_variants_of_one_product",
        INT,
        "Most distinct variants (sizes, colours) of one product in the order.",
        False,
    ),
    ("order.shipping_country", S, "ISO 3166 alpha-2 country of the shipping address.", True),
    ("order.billing_country", S, "ISO 3166 alpha-2 country of the billing address.", True),
    ("order.ip_country", S, "Country of the buyer's IP address (GeoIP).", True),
    ("order.source", S, "Where the order came from: web, pos, api, draft, ...", False),
    ("order.is_first_order", B, "This is the customer's first order in the shop.", False),
]
_IDENTITY = [
    ("email.address", S, "The buyer's email address, lowercased.", True),
    ("email.domain", S, "The domain of the buyer's email address, lowercased.", True),
    ("email.is_disposable", B, "The email domain is a known disposable-mail provider.", False),
    ("phone.country", S, "Country of the buyer's phone number.", True),
    ("ip.address", S, "The buyer's IP address.", True),
]
_CUSTOMER = [
    ("customer.orders_count", INT, "Orders the customer placed before this one.", False),
    ("customer.total_spent", N, "What the customer spent before this order, in major units.", False),
    ("customer.refunds_count", INT, "Refunds the customer received.", False),
    ("customer.refund_ratio", N, "Share of the customer's order value refunded (0 to 1).", False),
    (
        "customer.return_ratio",
        N,
        "Share of the customer's items that came back in returns (0 to 1).",
        False,
    ),
    ("customer.cancellations", INT, "Orders of the customer that were cancelled.", False),
    (
        "customer.chargebacks",
        INT,
        "Payment disputes (chargebacks) opened against the customer's orders.",
        False,
    ),
    (
        "customer.segment",
        S,
        "The customer's segment: vip, good, neutral, watch, restricted or blocked "
        "(risk's, as the customer page shows it, once assessed).",
        False,
    ),
    ("customer.account_age_days", N, "Days since the customer's account was created.", True),
    (
        "customer.is_disabled",
        B,
        "storeguard disabled the account (a block with disable_account); the platform's state never sets it.",
        False,
    ),
    (
        "customer.platform_account_state",
        S,
        "The account's state on the platform: enabled, disabled (Shopify's default for guests), invited, declined.",
        True,
    ),
    ("linked.customers", INT, "Other customers linked to this one by a shared identity.", False),
    ("linked.blocked_customers", INT, "Linked customers that are blocked.", False),
]
# Risk (storeguard.risk): the customer's assessment as last stored, kept current in the background
# as their history changes. A guest or a customer not assessed yet has score 0 and no findings.
_RISK = [
    ("customer.risk_score", INT, "The customer's risk score, 0 to 100, as last assessed.", False),
    ("customer.findings", L, "Types of the customer's abuse findings, e.g. ['bracketing'].", False),
]
_FINDING_FLAGS = [f"customer.finding_{t.value}" for t in FindingType]


def _risk_specs() -> list[FactSpec]:
    flags = [
        FactSpec(n, B, f"The customer has a {n.removeprefix('customer.finding_')} finding.")
        for n in _FINDING_FLAGS
    ]
    return [FactSpec(n, t, d, nullable) for n, t, d, nullable in _RISK] + flags


SIGNAL_CODES = (
    ("country_mismatch", "Shipping and billing countries differ."),
    ("ip_country_mismatch", "The IP country is neither the billing nor the shipping country."),
    ("disposable_email", "The email domain is a disposable-mail provider."),
    ("first_order_high_value", "A first order of high value."),
    ("many_variants_of_one_product", "Many sizes or colours of one product (bracketing)."),
    ("shared_shipping_address", "The shipping address is used by other customers."),
    ("linked_to_blocked", "The customer is linked to a blocked customer."),
    ("high_return_ratio", "The customer returns a high share of items."),
    ("high_refund_ratio", "The customer is refunded a high share of value."),
    ("has_chargebacks", "The customer has had chargebacks."),
    ("many_cancellations", "Many of the customer's earlier orders were cancelled."),
)
VELOCITY_KEYS = ("email", "phone", "ip", "device", "card", "address")
VELOCITY_WINDOWS = ("1h", "24h", "7d", "30d")
_WINDOW_WORDS = {"1h": "hour", "24h": "24 hours", "7d": "7 days", "30d": "30 days"}


def _catalogue() -> dict[str, FactSpec]:
    specs = [FactSpec(n, t, d, nullable) for n, t, d, nullable in _ORDER + _IDENTITY + _CUSTOMER]
    specs += _risk_specs()
    specs += [FactSpec(f"signals.{code}", B, text) for code, text in SIGNAL_CODES]
    for key in VELOCITY_KEYS:
        for window in VELOCITY_WINDOWS:
            specs.append(
                FactSpec(
                    f"velocity.orders_per_{key}_{window}",
                    INT,
                    f"Orders with the same {key} in the last {_WINDOW_WORDS[window]}, this one included.",
                )
            )
    for key in VELOCITY_KEYS:
        for window in VELOCITY_WINDOWS:
            specs.append(
                FactSpec(
                    f"velocity.amount_per_{key}_{window}",
                    N,
                    f"Order value with the same {key} in the last {_WINDOW_WORDS[window]}, "
                    "this one included, in major units.",
                )
            )
    return {s.name: s for s in specs}


FACTS: dict[str, FactSpec] = _catalogue()


def fact_catalogue(facts: dict[str, FactSpec] | None = None) -> list[dict[str, object]]:
    """Return the facts as plain dicts, sorted by name, for the API and the docs."""
    return [
        {"name": s.name, "type": s.type.value, "description": s.description, "nullable": s.nullable}
        for s in sorted((facts or FACTS).values(), key=lambda s: s.name)
    ]
