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
    lines = "lines"  # the order's lines: read only through order.lines.any/all/count(...)
    properties = "properties"  # a line's properties by name: read with .get('name') and .has('name')


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact: its dotted name, type, what it means, and whether it may be unknown (null)."""

    name: str
    type: FactType
    description: str
    nullable: bool = False
    example: str = ""  # a condition that reads the fact, shown in the rule editor's fact panel


N, INT, S, B, L = FactType.number, FactType.integer, FactType.string, FactType.bool, FactType.string_list
LINES = FactType.lines
PROPS = FactType.properties

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
    (
        "order.lines",
        LINES,
        "The order's lines, read one by one with order.lines.any(...), .all(...) or .count(...) "
        "and the line facts (line.*) inside; len(order.lines) is how many there are.",
        False,
    ),
]
# What a condition inside order.lines.any(...), .all(...) or .count(...) reads about one line.
_LINE = [
    ("line.sku", S, "The line's SKU, as given.", False),
    ("line.title", S, "The line's title, as given.", False),
    ("line.quantity", INT, "How many of the item the line holds.", False),
    ("line.price", N, "The line's unit price, in major units.", False),
    ("line.amount", N, "The line's price times its quantity, in major units.", False),
    ("line.category", S, "The product's category; null when it has none.", True),
    ("line.tags", L, "The product's tags (empty when none).", False),
    ("line.options", L, "The variant's options as 'name=value', e.g. 'size=M' (empty when none).", False),
    ("line.high_value", B, "The product is marked high value.", False),
    ("line.limited_edition", B, "The product is marked limited edition.", False),
    (
        "line.properties",
        PROPS,
        "What the buyer wrote on the line (engraving, gift message, custom size), by name: "
        "line.properties.get('name') is a property's text (null when the line has none of that name), "
        "line.properties.has('name') whether it has one; names match ignoring case, and names "
        "starting with '_' are an app's own data.",
        False,
    ),
]
_LINE_EXAMPLES = {
    "line.sku": "order.lines.any(line.sku.starts_with('GIFT-'))",
    "line.title": "order.lines.any(line.title.icontains('gift card'))",
    "line.quantity": "order.lines.any(line.quantity >= 10)",
    "line.price": "order.lines.count(line.price > 1000) >= 2",
    "line.amount": "order.lines.any(line.amount > 5000)",
    "line.category": "order.lines.any(line.category == 'electronics')",
    "line.tags": "order.lines.any(line.tags.contains('drop') and line.quantity > 2)",
    "line.options": "order.lines.count(line.options.contains('size=M')) >= 3",
    "line.high_value": "order.lines.all(line.high_value)",
    "line.limited_edition": "order.lines.any(line.limited_edition and line.quantity > 1)",
    "line.properties": "order.lines.any(line.properties.get('engraving').icontains('sale'))",
}
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
# What the checkout itself says: the card, the time, discounts, shipping, addresses, browser.
_CHECKOUT = [
    (
        "card.bin",
        S,
        "The card's first six to eight digits (its BIN); null when the gateway gives none.",
        True,
    ),
    (
        "card.brand",
        S,
        "The card's brand, lowercased: visa, mastercard, amex, ...; null when not given.",
        True,
    ),
    ("card.funding", S, "How the card is funded: credit, debit or prepaid; null when not given.", True),
    ("card.country", S, "ISO 3166 alpha-2 country that issued the card; null when not given.", True),
    ("card.last4", S, "The card's last four digits; null when not given.", True),
    ("card.has_expiry", B, "The card's expiry date was given (false when it was not).", False),
    (
        "card.avs_result",
        S,
        "The address check's result code as the gateway gives it, upper-cased (Y, N, A, Z, U...); null when none.",
        True,
    ),
    (
        "card.cvc_result",
        S,
        "The security code check's result code, upper-cased (M matched, N failed, P, U...); null when none.",
        True,
    ),
    (
        "order.hour_local",
        INT,
        "Hour the order was placed, 0 to 23, in the shop's time zone (UTC when the shop has none).",
        False,
    ),
    (
        "order.weekday_local",
        INT,
        "Day of the week the order was placed, 1 (Monday) to 7 (Sunday), in the shop's time zone.",
        False,
    ),
    ("order.discount_total", N, "Discount given on the order, in major units (0 when none).", False),
    ("order.discount_codes", L, "Discount codes used, upper-cased (empty when none).", False),
    ("order.shipping_price", N, "Shipping charged, in major units (the same as order.shipping).", False),
    (
        "order.shipping_method",
        S,
        "The shipping method's name, lowercased, e.g. 'express'; null when none.",
        True,
    ),
    ("order.max_line_price", N, "Highest unit price of any line, in major units (0 without lines).", False),
    ("order.quantity_total", INT, "Number of items, the sum of the lines' quantities.", False),
    ("email.local_part", S, "The part of the email address before '@', lowercased.", True),
    ("email.local_digits", INT, "How many digits the email's local part holds.", True),
    ("ip.prefix24", S, "The IPv4 address's /24 network, e.g. '203.0.113.0/24'; null for IPv6 or none.", True),
    (
        "ip.prefix48",
        S,
        "The IPv6 address's /48 network, e.g. '2001:db8:1::/48'; null for IPv4 or none.",
        True,
    ),
    ("browser.user_agent", S, "The buyer's browser as it names itself (its user agent).", True),
    (
        "browser.accept_language",
        S,
        "The languages the buyer's browser asks for, as sent, e.g. 'nb-NO,nb;q=0.9,en;q=0.8'.",
        True,
    ),
    (
        "browser.language_country",
        S,
        "The country of the browser's first language that names one ('nb-NO' gives 'NO'); null when none does.",
        True,
    ),
    ("customer.first_name", S, "The customer's first name as the order gives it.", True),
    ("customer.last_name", S, "The customer's last name as the order gives it.", True),
    ("customer.tags", L, "The customer's tags on the platform, lowercased (empty when none).", False),
    ("customer.is_guest", B, "The order has no customer account (a guest checkout).", False),
]
_ADDRESS_PARTS = (
    ("name", "Full name on the {a} address, as written."),
    ("first_name", "First name on the {a} address, as written."),
    ("last_name", "Last name on the {a} address, as written."),
    ("line1", "First street line of the {a} address, as written."),
    ("city", "City of the {a} address, as written."),
    ("postal_code", "Postal code of the {a} address, as written."),
    ("country", "ISO 3166 alpha-2 country of the {a} address."),
    ("city_key", "City of the {a} address, normalized: lowercased, accents and extra spaces removed."),
    ("postal_code_key", "Postal code of the {a} address, normalized: upper-cased, without spaces or dashes."),
    ("key", "The {a} address normalized to one key (the one storeguard links customers by)."),
)
# A condition for each checkout fact, as a merchant would write it (each compiles: tests/rules/test_checker.py).
_EXAMPLES = {
    "card.bin": "card.bin in @blocked_bins",
    "card.brand": "card.brand == 'amex'",
    "card.funding": "card.funding == 'prepaid'",
    "card.country": "card.country != order.billing_country",
    "card.last4": "card.last4 == '0000'",
    "card.has_expiry": "not card.has_expiry",
    "card.avs_result": "card.avs_result in ['N', 'A', 'Z']",
    "card.cvc_result": "card.cvc_result != 'M'",
    "order.hour_local": "order.hour_local >= 1 and order.hour_local < 5",
    "order.weekday_local": "order.weekday_local in [6, 7]",
    "order.discount_total": "order.discount_total / order.total > 0.3",
    "order.discount_codes": "order.discount_codes.contains('STAFF50')",
    "order.shipping_price": "order.shipping_price == 0",
    "order.shipping_method": "order.shipping_method.contains('express')",
    "order.max_line_price": "order.max_line_price > 1000",
    "order.quantity_total": "order.quantity_total > 20",
    "email.local_part": "email.local_part.matches(r'[0-9]{6,}$')",
    "email.local_digits": "email.local_digits >= 5",
    "ip.prefix24": "ip.prefix24 in @blocked_networks",
    "ip.prefix48": "ip.prefix48 in @blocked_networks",
    "browser.user_agent": "browser.user_agent.icontains('headless')",
    "browser.accept_language": "browser.accept_language.starts_with('ru')",
    "browser.language_country": "browser.language_country != order.shipping_country",
    "customer.first_name": "customer.first_name.iequals(billing.first_name)",
    "customer.last_name": "billing.last_name != customer.last_name",
    "customer.tags": "customer.tags.icontains('wholesale')",
    "customer.is_guest": "customer.is_guest and order.total > 1000",
}
_ADDRESS_EXAMPLES = {
    "name": "{a}.name.icontains('test')",
    "first_name": "{a}.first_name.iequals('test')",
    "last_name": "billing.last_name != shipping.last_name",
    "line1": "{a}.line1.icontains('po box')",
    "city": "billing.city != shipping.city",
    "postal_code": "{a}.postal_code.starts_with('9')",
    "country": "{a}.country in @high_risk_countries",
    "city_key": "billing.city_key != shipping.city_key",
    "postal_code_key": "billing.postal_code_key != shipping.postal_code_key",
    "key": "billing.key != shipping.key",
}
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
    specs[[s.name for s in specs].index("order.lines")] = FactSpec(
        "order.lines",
        LINES,
        dict((n, d) for n, _, d, _ in _ORDER)["order.lines"],
        False,
        _LINE_EXAMPLES["line.tags"],
    )
    specs += [FactSpec(n, t, d, nullable, _EXAMPLES[n]) for n, t, d, nullable in _CHECKOUT]
    for side in ("billing", "shipping"):
        specs += [
            FactSpec(f"{side}.{part}", S, text.format(a=side), True, _ADDRESS_EXAMPLES[part].format(a=side))
            for part, text in _ADDRESS_PARTS
        ]
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
# The facts read straight from the checkout (card, time, discounts, shipping, addresses, browser, buyer).
CHECKOUT_FACTS = frozenset(
    [name for name, *_ in _CHECKOUT] + [n for n in FACTS if n.split(".")[0] in ("billing", "shipping")]
)


# The line facts: known only inside a line predicate, so not in FACTS (an order's facts never hold them).
LINE_FACTS: dict[str, FactSpec] = {
    n: FactSpec(n, t, d, nullable, _LINE_EXAMPLES[n]) for n, t, d, nullable in _LINE
}


def fact_catalogue(facts: dict[str, FactSpec] | None = None) -> list[dict[str, object]]:
    """Return the facts as plain dicts, sorted by name, for the API and the docs (the line facts with them)."""
    return [
        {"name": s.name, "type": s.type.value, "description": s.description, "nullable": s.nullable}
        | ({"example": s.example} if s.example else {})
        for s in sorted([*(facts or FACTS).values(), *LINE_FACTS.values()], key=lambda s: s.name)
    ]
