"""Build the flat facts mapping that rules read, exactly the keys of ``storeguard.rules.facts.FACTS``.

Money facts are in MAJOR units of the order's currency (``order.total > 500`` means 500.00),
converted from minor units with ``core.money.exponent``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, UNKNOWN_REGION, PhoneNumber

from storeguard.core.errors import Invalid
from storeguard.core.money import exponent
from storeguard.customers.normalize import (
    e164_as_written,
    normalize_address,
    normalize_postal_code,
    normalize_words,
)
from storeguard.risk.enums import FindingType
from storeguard.screening.inputs import OrderInput
from storeguard.screening.policy import SIGNAL_CODES, VELOCITY_KINDS, WINDOWS, CustomerMetrics
from storeguard.screening.velocity import VelocityCounts


@dataclass(slots=True)
class FactContext:
    """What was looked up about the order: history, links, velocity, geography."""

    metrics: CustomerMetrics = field(default_factory=CustomerMetrics)
    segment: str = "neutral"
    risk_score: int = 0
    findings: tuple[str, ...] = ()  # the types of the customer's risk findings
    customer_created_at: datetime | None = None
    customer_disabled: bool = False
    platform_account_state: str | None = None
    linked_customers: int = 0
    linked_blocked_customers: int = 0
    velocity: VelocityCounts = field(default_factory=VelocityCounts)
    velocity_kinds: frozenset[str] = frozenset()  # the identifiers this order has: the only ones counted
    ip_country: str | None = None
    email_disposable: bool = False
    default_region: str | None = None  # the shop's country, for phone numbers written without +
    time_zone: str | None = None  # the shop's IANA time zone, for order.hour_local; UTC when unset


def country_of(address: dict[str, Any] | None) -> str | None:
    """Return an address's two-letter country code, upper-cased, if it has one."""
    if not address:
        return None
    code = address.get("country_code") or address.get("country")
    if isinstance(code, str) and len(code.strip()) == 2:
        return code.strip().upper()
    return None


def email_domain(email: str | None) -> str | None:
    """Return the lower-cased domain of an email address."""
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".") or None


def phone_country(phone: str | None, region: str | None) -> str | None:
    """Return the country a phone number belongs to, or None when it cannot be parsed."""
    if not phone:
        return None
    if _E164.fullmatch(phone):
        # A calling code that belongs to one region answers without parsing (phonenumbers itself
        # returns that region without looking further). For a shared code (+1, +44, +47, +7...) the
        # region is told by the number's own digits: when normalize_phone's check says the parse
        # would keep the number exactly as written, the number is built directly (parse costs
        # 16 us of the 18 a Norwegian number took).
        for length in (1, 2, 3):
            code = int(phone[1 : 1 + length])
            regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
            if regions is not None:
                if len(regions) == 1 and regions[0] != UNKNOWN_REGION:
                    return regions[0]
                if e164_as_written(phone) == phone:
                    number = PhoneNumber(country_code=code, national_number=int(phone[1 + length :]))
                    return phonenumbers.region_code_for_number(number) or None
                break
    return _phone_country(phone, region)


_E164 = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)


@lru_cache(maxsize=8192)
def _phone_country(phone: str, region: str | None) -> str | None:
    # Parsing costs more than the rest of the facts together; a returning number is answered from memory.
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed) or None


def max_variants_of_one_product(order: OrderInput) -> int:
    """Return the most distinct variants (sizes, colours) of one product in the order."""
    variants: dict[Any, set[tuple[tuple[str, str], ...]]] = {}
    for line in order.lines:
        key = line.product_id if line.product_id is not None else line.sku
        variants.setdefault(key, set()).add(tuple(sorted((line.variant or {}).items())))
    return max((len(v) for v in variants.values()), default=0)


def line_facts(
    sku: str,
    title: str,
    quantity: int,
    unit_price: int,
    category: str | None,
    tags: list[str] | None,
    variant: dict[str, str] | None,
    high_value: bool,
    limited_edition: bool,
    scale: int,
    properties: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Return one line's facts (``line.*``), read by order.lines.any/all/count(...) (backtests use it too)."""
    by_name: dict[str, str] = {}
    for p in properties or ():
        by_name.setdefault(p["name"], p["value"])  # a name given twice reads as its first value
    return {
        "line.sku": sku,
        "line.title": title,
        "line.quantity": quantity,
        "line.price": unit_price / scale,
        "line.amount": unit_price * quantity / scale,
        "line.category": category or None,
        "line.tags": list(tags or ()),
        "line.options": [f"{k}={v}" for k, v in sorted((variant or {}).items())],
        "line.high_value": bool(high_value),
        "line.limited_edition": bool(limited_edition),
        "line.properties": by_name,
    }


def build_facts(order: OrderInput, ctx: FactContext) -> dict[str, Any]:
    """Return every fact about the order except ``signals.*`` (added by the signals)."""
    scale = 10 ** exponent(order.currency)
    m = ctx.metrics
    domain = email_domain(order.email)
    age = (
        (order.created_at - ctx.customer_created_at).total_seconds() / 86400
        if ctx.customer_created_at
        else None
    )
    facts: dict[str, Any] = {
        "order.total": order.total / scale,
        "order.subtotal": order.subtotal / scale,
        "order.shipping": order.shipping / scale,
        "order.currency": order.currency,
        "order.item_count": sum(line.quantity for line in order.lines),
        "order.line_count": len(order.lines),
        "order.has_high_value": any(line.high_value for line in order.lines),
        "order.has_limited_edition": any(line.limited_edition for line in order.lines),
        "order.categories": sorted({line.category for line in order.lines if line.category}),
        "order.tags": sorted({t for line in order.lines for t in line.tags}),
        "order.max_variants_of_one_product": max_variants_of_one_product(order),
        "order.shipping_country": country_of(order.shipping_address),
        "order.billing_country": country_of(order.billing_address),
        "order.ip_country": ctx.ip_country,
        "order.source": order.source,
        "order.is_first_order": m.orders_count == 0,
        "order.lines": tuple(
            line_facts(
                li.sku,
                li.title,
                li.quantity,
                li.unit_price,
                li.category,
                li.tags,
                li.variant,
                li.high_value,
                li.limited_edition,
                scale,
                li.properties,
            )
            for li in order.lines
        ),
        "email.address": order.email.strip().lower() if order.email else None,
        "email.domain": domain,
        "email.is_disposable": ctx.email_disposable,
        "phone.country": phone_country(order.phone, ctx.default_region),
        "ip.address": order.browser_ip,
        "customer.orders_count": m.orders_count,
        "customer.total_spent": m.total_spent / scale,
        "customer.refunds_count": m.refunds_count,
        "customer.refund_ratio": m.refund_ratio,
        "customer.return_ratio": m.return_ratio,
        "customer.cancellations": m.cancellations,
        "customer.chargebacks": m.chargebacks,
        "customer.segment": ctx.segment,
        "customer.risk_score": ctx.risk_score,
        "customer.findings": list(ctx.findings),
        "customer.account_age_days": round(max(age, 0.0), 3) if age is not None else None,
        "customer.is_disabled": ctx.customer_disabled,
        "customer.platform_account_state": ctx.platform_account_state,
        "linked.customers": ctx.linked_customers,
        "linked.blocked_customers": ctx.linked_blocked_customers,
    }
    facts.update(checkout_facts(order, ctx.time_zone, scale))
    facts.update(_NO_FINDINGS)
    for kind in ctx.findings:
        facts[f"customer.finding_{kind}"] = True
    facts.update(_NO_SIGNALS)
    # Velocity facts count this order too: a merchant writes "more than 3 orders an hour" as "> 3".
    orders, amounts, have = ctx.velocity.orders, ctx.velocity.amounts, ctx.velocity_kinds
    # An identifier the order lacks is never counted, so only the order's own kinds are looked up.
    facts.update(_NO_VELOCITY)
    for kind in have:
        for orders_name, amount_name, key in _VELOCITY_FACTS[kind]:
            facts[orders_name] = orders.get(key, 0) + 1
            facts[amount_name] = (amounts.get(key, 0) + order.total) / scale
    return facts


# The fact names, written once rather than formatted on every order.
_NO_SIGNALS = {f"signals.{code}": False for code in SIGNAL_CODES}
_NO_FINDINGS = {f"customer.finding_{kind.value}": False for kind in FindingType}
_VELOCITY_FACTS = {
    k: [(f"velocity.orders_per_{k}_{w}", f"velocity.amount_per_{k}_{w}", (k, w)) for w in WINDOWS]
    for k in VELOCITY_KINDS
}
_NO_VELOCITY = {
    name: zero for facts in _VELOCITY_FACTS.values() for o, a, _ in facts for name, zero in ((o, 0), (a, 0.0))
}


@lru_cache(maxsize=64)
def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else _UTC
    except (ZoneInfoNotFoundError, ValueError):
        return _UTC  # a zone removed from the system's database since it was saved: UTC, not a crash


_UTC = ZoneInfo("UTC")
_ADDRESS_FIELDS = (
    "line1",
    "city",
    "first_name",
    "last_name",
    "name",
    "postal_code",
    "country",
    "city_key",
    "postal_code_key",
    "key",
)
_ADDRESS_NAMES = {
    side: tuple(f"{side}.{part}" for part in _ADDRESS_FIELDS) for side in ("billing", "shipping")
}
_NO_ADDRESS = {side: dict.fromkeys(names) for side, names in _ADDRESS_NAMES.items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _lower(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _upper(value: Any) -> str | None:
    text = _text(value)
    return text.upper() if text else None


def address_facts(side: str, address: dict[str, Any] | None) -> dict[str, Any]:
    """Return ``billing.*`` or ``shipping.*``: the address's parts as written, and their normalized keys."""
    if not address:
        return _NO_ADDRESS[side]
    try:
        values = _remembered_address(tuple(sorted(address.items())))
    except TypeError:  # a nested value: worked out without the memory
        values = _address_values(address)
    return dict(zip(_ADDRESS_NAMES[side], values, strict=True))


@lru_cache(maxsize=16384)
def _remembered_address(items: tuple[tuple[str, Any], ...]) -> tuple[str | None, ...]:
    # Addresses come back (billing the same as shipping, a returning customer): normalizing costs
    # more than the rest of the facts, so each address is normalized once.
    return _address_values(dict(items))


def _address_values(a: dict[str, Any]) -> tuple[str | None, ...]:
    """The address's parts in the order of ``_ADDRESS_FIELDS``."""
    line1, city = _text(a.get("address1")), _text(a.get("city"))
    first, last = _text(a.get("first_name")), _text(a.get("last_name"))
    name = _text(a.get("name")) or _text(" ".join(str(a.get(k) or "") for k in ("first_name", "last_name")))
    postal = _text(a.get("zip") or a.get("postal_code"))
    country = country_of(a)
    city_key = (normalize_words(city) or None) if city else None
    postal_key = (normalize_postal_code(postal, country or "") or None) if postal else None
    try:
        key: str | None = normalize_address(a)
    except Invalid:
        key = None  # no street line: no key, so a rule on it stays unknown
    return (line1, city, first, last, name, postal, country, city_key, postal_key, key)


@lru_cache(maxsize=4096)
def language_country(accept_language: str | None) -> str | None:
    """Return the country of the first language tag that names one ('nb-NO,nb;q=0.9' gives 'NO')."""
    if not accept_language:
        return None
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip()
        for sub in tag.split("-")[1:]:
            if len(sub) == 2 and sub.isalpha():
                return sub.upper()
    return None


@lru_cache(maxsize=16384)
def ip_prefixes(ip: str | None) -> tuple[str | None, str | None]:
    """Return the IPv4 /24 and IPv6 /48 networks of an address (one of them None)."""
    if not ip:
        return None, None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None, None
    if address.version == 4:
        a, b, c, _ = address.packed
        return f"{a}.{b}.{c}.0/24", None
    return None, str(ipaddress.IPv6Network((int(address) >> 80 << 80, 48)))


def checkout_facts(order: OrderInput, time_zone: str | None, scale: int) -> dict[str, Any]:
    """Return the facts read straight from the checkout: card, time, discounts, shipping, addresses, browser."""
    local = order.created_at.astimezone(_zone(time_zone))
    email = order.email.strip().lower() if order.email else None
    local_part = email.rsplit("@", 1)[0] if email and "@" in email else None
    prefix24, prefix48 = ip_prefixes(order.browser_ip)
    facts: dict[str, Any] = {
        "card.bin": _text(order.card_bin),
        "card.brand": _lower(order.card_brand),
        "card.funding": _lower(order.card_funding),
        "card.country": _upper(order.card_country),
        "card.last4": _text(order.card_last4),
        "card.has_expiry": bool(order.card_expiry),
        "card.avs_result": _upper(order.avs_result),
        "card.cvc_result": _upper(order.cvc_result),
        "order.hour_local": local.hour,
        "order.weekday_local": local.isoweekday(),
        "order.discount_total": order.discount / scale,
        "order.discount_codes": sorted({c.strip().upper() for c in order.discount_codes if c.strip()}),
        "order.shipping_price": order.shipping / scale,
        "order.shipping_method": _lower(order.shipping_method),
        "order.max_line_price": max((line.unit_price for line in order.lines), default=0) / scale,
        "order.quantity_total": sum(line.quantity for line in order.lines),
        "email.local_part": local_part or None,
        "email.local_digits": sum(map(str.isdigit, local_part)) if local_part else None,
        "ip.prefix24": prefix24,
        "ip.prefix48": prefix48,
        "browser.user_agent": _text(order.user_agent),
        "browser.accept_language": _text(order.accept_language),
        "browser.language_country": language_country(order.accept_language),
        "customer.first_name": _text(order.customer_first_name),
        "customer.last_name": _text(order.customer_last_name),
        "customer.tags": sorted({t.strip().lower() for t in order.customer_tags if t.strip()}),
        "customer.is_guest": order.customer_id is None,
    }
    facts.update(address_facts("billing", order.billing_address))
    facts.update(address_facts("shipping", order.shipping_address))
    return facts
