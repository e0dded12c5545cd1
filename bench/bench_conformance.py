"""Conformance: 200 ordinary merchant rules, written neutrally, agree with a plain-Python reference.

The rules are data in the project's own neutral description (``CONDITIONS``: a field, an operator,
a value), the way a merchant would list them in a spreadsheet: thresholds, list look-ups, mismatches
between two fields, string checks. Two independent readers run them over a generated store:

- storeguard: each neutral rule is written as rule text (``to_rule_text``), compiled by
  ``storeguard.rules.compile_rule`` and evaluated on the facts screening builds for the order
  (``storeguard.screening.facts.build_facts``);
- the reference (``reference_fires``): plain Python reading the generated order itself (its email,
  addresses, card, IP, browser, lines), sharing no code with storeguard. A field the order lacks
  makes its condition false, as a missing fact never makes a storeguard rule fire.

Figures: ``conformance_rules`` (200), ``conformance_expressible`` (how many storeguard compiled),
``conformance_orders``, ``conformance_mismatches`` (order-rule pairs where the two disagree: must
be 0) and ``conformance_decision_mismatches`` (orders whose decision, the strongest action that
fired, differs: must be 0).
"""

from __future__ import annotations

import ipaddress
import random
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storeguard.rules import FACTS, NamedLists, compile_rule
from storeguard.screening.facts import FactContext, build_facts
from storeguard.screening.inputs import LineInput, OrderInput

SHOP_ZONE = "Europe/Oslo"
LIST_VALUES: dict[str, list[str]] = {
    "risky_countries": ["NG", "RU", "BY", "KP"],
    "blocked_bins": ["411111", "520082", "601100"],
    "throwaway_domains": ["mailinator.com", "yopmail.com", "trash.example"],
    "blocked_networks": ["203.0.113.0/24", "198.51.100.0/24"],
    "office_ranges": ["192.0.2.0/24", "2001:db8:aa::/48"],
    "staff_codes": ["STAFF50", "FRIENDS30"],
    "watched_last_names": ["Fraudster", "Testperson", "Hansen"],
}

# Neutral field name -> (storeguard fact, what the reference reads from the raw order)
Raw = dict[str, Any]


def _local(order: Raw) -> datetime:
    return order["placed_at"].astimezone(ZoneInfo(SHOP_ZONE))


def _part(side: str, key: str) -> Callable[[Raw], Any]:
    def read(order: Raw) -> Any:
        address = order.get(side) or {}
        value = address.get(key)
        return value.strip() or None if isinstance(value, str) else None

    return read


def _email(order: Raw) -> str | None:
    return order["email"].strip().lower() if order.get("email") else None


def _local_part(order: Raw) -> str | None:
    email = _email(order)
    return email.split("@")[0] if email and "@" in email else None


def _prefix24(order: Raw) -> str | None:
    ip = order.get("ip")
    if not ip or ":" in ip:
        return None
    a, b, c, _ = ip.split(".")
    return f"{a}.{b}.{c}.0/24"


def _fold(text: str | None) -> str | None:
    if text is None:
        return None
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", plain.lower().replace("ø", "o")).split()) or None


def _lang_country(order: Raw) -> str | None:
    header = order.get("accept_language")
    if not header:
        return None
    for tag in header.split(","):
        bits = tag.split(";")[0].strip().split("-")
        for sub in bits[1:]:
            if len(sub) == 2 and sub.isalpha():
                return sub.upper()
    return None


FIELDS: dict[str, tuple[str, Callable[[Raw], Any]]] = {
    "total": (
        "order.total",
        lambda o: sum(p * q for p, q in o["lines"]) / 100 + o["shipping"] / 100 - o["discount"] / 100,
    ),
    "items": ("order.quantity_total", lambda o: sum(q for _, q in o["lines"])),
    "max_line_price": ("order.max_line_price", lambda o: max(p for p, _ in o["lines"]) / 100),
    "shipping_price": ("order.shipping_price", lambda o: o["shipping"] / 100),
    "discount": ("order.discount_total", lambda o: o["discount"] / 100),
    "discount_codes": ("order.discount_codes", lambda o: sorted({c.upper() for c in o["codes"]})),
    "shipping_method": ("order.shipping_method", lambda o: o["method"].lower() if o.get("method") else None),
    "hour": ("order.hour_local", lambda o: _local(o).hour),
    "weekday": ("order.weekday_local", lambda o: _local(o).isoweekday()),
    "email_domain": ("email.domain", lambda o: (_email(o) or "@").split("@")[1] or None),
    "email_local": ("email.local_part", _local_part),
    "email_digits": (
        "email.local_digits",
        lambda o: sum(c.isdigit() for c in lp) if (lp := _local_part(o)) else None,
    ),
    "card_bin": ("card.bin", lambda o: o.get("bin")),
    "card_brand": ("card.brand", lambda o: o["brand"].lower() if o.get("brand") else None),
    "card_funding": ("card.funding", lambda o: o.get("funding")),
    "card_country": ("card.country", lambda o: o.get("card_country")),
    "avs": ("card.avs_result", lambda o: o.get("avs")),
    "cvc": ("card.cvc_result", lambda o: o.get("cvc")),
    "ip": ("ip.address", lambda o: o.get("ip")),
    "ip_prefix24": ("ip.prefix24", _prefix24),
    "user_agent": ("browser.user_agent", lambda o: o.get("ua")),
    "language_country": ("browser.language_country", _lang_country),
    "customer_last_name": ("customer.last_name", lambda o: o.get("last_name")),
    "customer_first_name": ("customer.first_name", lambda o: o.get("first_name")),
    "is_guest": ("customer.is_guest", lambda o: o.get("customer_id") is None),
    "billing_country": ("billing.country", lambda o: (o.get("billing") or {}).get("country_code")),
    "shipping_country": ("shipping.country", lambda o: (o.get("shipping_address") or {}).get("country_code")),
    "billing_city": ("billing.city", _part("billing", "city")),
    "shipping_city": ("shipping.city", _part("shipping_address", "city")),
    "billing_city_key": ("billing.city_key", lambda o: _fold(_part("billing", "city")(o))),
    "shipping_city_key": ("shipping.city_key", lambda o: _fold(_part("shipping_address", "city")(o))),
    "billing_postal": ("billing.postal_code", _part("billing", "zip")),
    "shipping_postal": ("shipping.postal_code", _part("shipping_address", "zip")),
    "billing_last_name": ("billing.last_name", _part("billing", "last_name")),
    "shipping_last_name": ("shipping.last_name", _part("shipping_address", "last_name")),
    "shipping_line1": ("shipping.line1", _part("shipping_address", "address1")),
}
NUMBER_OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "==": "==", "!=": "!="}
ACTION_STRENGTH = {"block": 4, "review": 3, "verify": 2, "allow": 1}


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


def condition_text(cond: tuple[str, str, Any]) -> str:
    """Write one neutral condition in storeguard's rule language."""
    field, op, value = cond
    fact = FIELDS[field][0]
    match op:
        case ">" | ">=" | "<" | "<=" | "==" | "!=":
            return f"{fact} {op} {_literal(value)}"
        case "same_as" | "differs_from":
            return f"{fact} {'==' if op == 'same_as' else '!='} {FIELDS[value][0]}"
        case "in_list" | "not_in_list":
            return f"{fact} {'in' if op == 'in_list' else 'not in'} @{value}"
        case "one_of":
            return f"{fact} in [{', '.join(_literal(v) for v in value)}]"
        case "has":
            return f"{fact}.contains({_literal(value)})"
        case "has_any_of_list":
            return f"{fact}.contains_any(@{value})"
        case "starts_with" | "ends_with" | "contains":
            return f"{fact}.{op}({_literal(value)})"
        case "istarts_with" | "iends_with" | "icontains" | "iequals":
            return f"{fact}.{op}({_literal(value)})"
        case "longer_than":
            return f"len({fact}) > {value}"
        case "matches":
            return f"{fact}.matches(r'{value}')"
        case "in_ranges":
            return f"{fact}.in_range(@{value})"
        case "is_missing":
            return f"{fact} is null"
        case "is_true":
            return fact if value else f"not {fact}"
    raise ValueError(f"no such neutral operator {op}")


def to_rule_text(rule: dict[str, Any]) -> str:
    """Write one neutral rule (an action and all/any of its conditions) as storeguard rule text."""
    joiner = " and " if "all" in rule else " or "
    parts = [condition_text(c) for c in rule.get("all") or rule["any"]]
    return f"{rule['action']} if " + joiner.join(f"({p})" if len(parts) > 1 else p for p in parts)


def _ref_condition(cond: tuple[str, str, Any], order: Raw) -> bool:
    """The reference: plain Python on the raw order; a missing value makes the condition false."""
    field, op, value = cond
    got = FIELDS[field][1](order)
    if op == "is_missing":
        return got is None
    if got is None:
        return False
    if op in NUMBER_OPS:
        return {
            ">": got > value,
            ">=": got >= value,
            "<": got < value,
            "<=": got <= value,
            "==": got == value,
            "!=": got != value,
        }[op]
    if op in ("same_as", "differs_from"):
        other = FIELDS[value][1](order)
        if other is None:
            return False
        return (got == other) if op == "same_as" else (got != other)
    if op == "in_list":
        return got in LIST_VALUES[value]
    if op == "not_in_list":
        return got not in LIST_VALUES[value]
    if op == "one_of":
        return got in value
    if op == "has":
        return value in got
    if op == "has_any_of_list":
        return any(v in got for v in LIST_VALUES[value])
    if op == "starts_with":
        return got.startswith(value)
    if op == "ends_with":
        return got.endswith(value)
    if op == "contains":
        return value in got
    if op == "istarts_with":
        return got.lower().startswith(value.lower())
    if op == "iends_with":
        return got.lower().endswith(value.lower())
    if op == "icontains":
        return value.lower() in got.lower()
    if op == "iequals":
        return got.lower() == value.lower()
    if op == "longer_than":
        return len(got) > value
    if op == "matches":
        return re.search(value, got) is not None
    if op == "in_ranges":
        address = ipaddress.ip_address(got)
        return any(address in ipaddress.ip_network(r) for r in LIST_VALUES[value])
    if op == "is_true":
        return got is value
    raise ValueError(f"no such neutral operator {op}")


def reference_fires(rule: dict[str, Any], order: Raw) -> bool:
    if "all" in rule:
        return all(_ref_condition(c, order) for c in rule["all"])
    return any(_ref_condition(c, order) for c in rule["any"])


# -- the 200 rules ---------------------------------------------------------------------------------
def neutral_rules(seed: int = 17) -> list[dict[str, Any]]:
    """Return 200 ordinary rules: thresholds, lists, mismatches and string checks, with varied values."""
    rnd = random.Random(seed)
    actions = ["review", "block", "verify", "allow"]
    templates: list[Callable[[], list[tuple[str, str, Any]]]] = [
        lambda: [("total", rnd.choice([">", ">="]), rnd.choice([200, 500, 1000, 2500]))],
        lambda: [("items", ">", rnd.choice([3, 5, 10])), ("total", ">", rnd.choice([100, 400]))],
        lambda: [("max_line_price", ">=", rnd.choice([150, 400, 900]))],
        lambda: [("shipping_price", "==", 0), ("shipping_method", "contains", "express")],
        lambda: [("discount", ">", rnd.choice([20, 50, 100]))],
        lambda: [("discount_codes", "has", rnd.choice(["STAFF50", "WELCOME10"]))],
        lambda: [("discount_codes", "has_any_of_list", "staff_codes"), ("total", "<", 300)],
        lambda: [("hour", ">=", rnd.choice([0, 1, 2])), ("hour", "<", rnd.choice([4, 5, 6]))],
        lambda: [("weekday", "one_of", rnd.choice([[6, 7], [1], [5, 6]]))],
        lambda: [("email_domain", "in_list", "throwaway_domains")],
        lambda: [("email_local", "starts_with", rnd.choice(["test", "promo", "info"]))],
        lambda: [("email_local", "matches", rnd.choice(["[0-9]{4,}$", "^[a-z]+\\.[a-z]+$", "\\+"]))],
        lambda: [("email_digits", ">=", rnd.choice([3, 4, 6]))],
        lambda: [("email_local", "longer_than", rnd.choice([12, 18, 24]))],
        lambda: [("card_bin", "in_list", "blocked_bins")],
        lambda: [("card_brand", "==", rnd.choice(["amex", "visa", "mastercard"])), ("total", ">", 300)],
        lambda: [("card_funding", "==", "prepaid"), ("total", ">", rnd.choice([100, 250]))],
        lambda: [("card_country", "differs_from", rnd.choice(["billing_country", "shipping_country"]))],
        lambda: [("avs", "one_of", ["N", "A", "Z"]), ("cvc", "!=", "M")],
        lambda: [("cvc", "==", "N")],
        lambda: [("ip_prefix24", "in_list", "blocked_networks")],
        lambda: [("ip", "in_ranges", "office_ranges")],
        lambda: [("user_agent", "icontains", rnd.choice(["headless", "python", "curl"]))],
        lambda: [("language_country", "differs_from", "shipping_country"), ("total", ">", 200)],
        lambda: [("billing_country", "differs_from", "shipping_country")],
        lambda: [("billing_city", "differs_from", "shipping_city")],
        lambda: [("billing_city_key", "differs_from", "shipping_city_key"), ("total", ">", 150)],
        lambda: [("billing_postal", "differs_from", "shipping_postal")],
        lambda: [("billing_last_name", "differs_from", "customer_last_name")],
        lambda: [("shipping_last_name", "in_list", "watched_last_names")],
        lambda: [("shipping_country", "in_list", "risky_countries")],
        lambda: [("billing_country", "not_in_list", "risky_countries"), ("total", ">", 2000)],
        lambda: [("shipping_line1", "icontains", rnd.choice(["po box", "postboks", "c/o"]))],
        lambda: [("shipping_postal", "starts_with", rnd.choice(["0", "9", "N1"]))],
        lambda: [("customer_first_name", "iequals", rnd.choice(["test", "kari"]))],
        lambda: [("is_guest", "is_true", True), ("total", ">", rnd.choice([500, 1500]))],
        lambda: [("card_brand", "is_missing", None), ("total", ">", 800)],
        lambda: [("shipping_city", "iends_with", rnd.choice(["sø", "en", "ND"]))],
        lambda: [("billing_city", "istarts_with", rnd.choice(["os", "BER", "stock"]))],
    ]
    rules: list[dict[str, Any]] = []
    while len(rules) < 200:
        conds = rnd.choice(templates)()
        combine = "any" if len(conds) > 1 and rnd.random() < 0.2 else "all"
        rules.append({"action": rnd.choice(actions), combine: conds})
    return rules


# -- the generated store ---------------------------------------------------------------------------
def generate_orders(count: int, seed: int = 7) -> list[Raw]:
    """Orders as a checkout sends them, with the oddities real ones have (missing parts, cases, spaces)."""
    rnd = random.Random(seed)
    cities = ["Oslo", "OSLO ", "Bergen", "Tromsø", "TROMSO", "Stockholm", "Lagos", "Berlin"]
    countries = ["NO", "NO", "NO", "SE", "DE", "NG", "RU", "US"]
    last_names = ["Nordmann", "Hansen", "Fraudster", "Olsen", "Testperson", None]
    first_names = ["Kari", "kari", "Ola", "TEST", "Ingrid", None]
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def address() -> dict[str, Any] | None:
        if rnd.random() < 0.08:
            return None
        out = {
            "address1": rnd.choice(
                ["Storgata 1", "Postboks 12", "C/O Hansen, Kirkeveien 5", "Main St 9", "PO Box 7"]
            ),
            "city": rnd.choice(cities),
            "zip": rnd.choice(["0155", "9008", "N1 9GU", "10115", None]),
            "country_code": rnd.choice(countries),
            "last_name": rnd.choice(last_names),
        }
        return {k: v for k, v in out.items() if v is not None}

    orders = []
    for i in range(count):
        lines = [
            (rnd.choice([4900, 19900, 45000, 99000]), rnd.randint(1, 6)) for _ in range(rnd.randint(1, 3))
        ]
        subtotal = sum(p * q for p, q in lines)
        shipping = rnd.choice([0, 0, 4900, 9900])
        local = rnd.choice(
            [
                "kari",
                "test.user",
                "promo+77",
                "ola.nordmann1987",
                "x12345678",
                "info",
                "kari.nordmann.shopping2026",
            ]
        )
        ip = rnd.choice(["203.0.113.9", "198.51.100.200", "192.0.2.44", "81.0.12.1", "2001:db8:aa::5", None])
        orders.append(
            {
                "lines": lines,
                "shipping": shipping,
                "discount": rnd.choice([0, 0, 0, 2500, 10000, min(subtotal, 30000)]),
                "codes": rnd.choice([[], [], ["welcome10"], ["STAFF50"], ["friends30", "WELCOME10"]]),
                "method": rnd.choice(["Express", "Standard", "express pickup", None]),
                "placed_at": start + timedelta(minutes=37 * i + rnd.randint(0, 36)),
                "email": None
                if rnd.random() < 0.05
                else f"{local}@{rnd.choice(['example.no', 'mailinator.com', 'yopmail.com', 'gmail.com'])}",
                "bin": rnd.choice(["411111", "520082", "455600", None]),
                "brand": rnd.choice(["Visa", "mastercard", "AMEX", None]),
                "funding": rnd.choice(["credit", "debit", "prepaid", None]),
                "card_country": rnd.choice(["NO", "SE", "US", "NG", None]),
                "avs": rnd.choice(["Y", "N", "A", "Z", None]),
                "cvc": rnd.choice(["M", "N", None]),
                "ip": ip,
                "ua": rnd.choice(
                    [
                        "Mozilla/5.0 Firefox/120",
                        "Mozilla/5.0 HeadlessChrome/120",
                        "python-requests/2.31",
                        "curl/8.4",
                        None,
                    ]
                ),
                "accept_language": rnd.choice(["nb-NO,nb;q=0.9", "en-US,en;q=0.8", "sv", "de-DE", None]),
                "first_name": rnd.choice(first_names),
                "last_name": rnd.choice(last_names),
                "customer_id": rnd.choice([None, 1, 2]),
                "billing": address(),
                "shipping_address": address(),
            }
        )
    return orders


def order_input(order: Raw) -> OrderInput:
    """The generated order as screening receives it."""
    lines = [
        LineInput(index=i, product_id=i + 1, sku=f"SKU{i}", title="", quantity=q, unit_price=p)
        for i, (p, q) in enumerate(order["lines"])
    ]
    subtotal = sum(p * q for p, q in order["lines"])
    return OrderInput(
        shop_id=1,
        currency="NOK",
        subtotal=subtotal,
        shipping=order["shipping"],
        total=subtotal + order["shipping"] - order["discount"],
        lines=lines,
        email=order["email"],
        shipping_address=order["shipping_address"],
        billing_address=order["billing"],
        browser_ip=order["ip"],
        user_agent=order["ua"],
        card_bin=order["bin"],
        card_brand=order["brand"],
        card_funding=order["funding"],
        card_country=order["card_country"],
        avs_result=order["avs"],
        cvc_result=order["cvc"],
        discount=order["discount"],
        discount_codes=order["codes"],
        shipping_method=order["method"],
        accept_language=order["accept_language"],
        customer_first_name=order["first_name"],
        customer_last_name=order["last_name"],
        customer_id=order["customer_id"],
        created_at=order["placed_at"],
    )


def _decision(actions: list[str]) -> str:
    return max(actions, key=ACTION_STRENGTH.__getitem__) if actions else "none"


def check(order_count: int) -> dict[str, Any]:
    """Run the 200 rules both ways over ``order_count`` generated orders; return the disagreements."""
    rules = neutral_rules()
    lists = NamedLists(LIST_VALUES)
    compiled = [compile_rule(to_rule_text(r), FACTS, lists) for r in rules]
    mismatches: list[tuple[int, int]] = []
    decision_mismatches = 0
    orders = generate_orders(order_count)
    fired_total = 0
    for n, order in enumerate(orders):
        facts = build_facts(order_input(order), FactContext(time_zone=SHOP_ZONE))
        ours = [c.matches(facts) for c in compiled]
        theirs = [reference_fires(r, order) for r in rules]
        fired_total += sum(ours)
        mismatches += [(n, i) for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
        mine = _decision([r["action"] for r, fired in zip(rules, ours, strict=True) if fired])
        ref = _decision([r["action"] for r, fired in zip(rules, theirs, strict=True) if fired])
        decision_mismatches += mine != ref
    return {
        "rules": rules,
        "compiled": compiled,
        "mismatches": mismatches,
        "decision_mismatches": decision_mismatches,
        "fired": fired_total,
        "orders": len(orders),
    }


def run(quick: bool = False) -> dict[str, float]:
    result = check(500 if quick else 5000)
    return {
        "conformance_rules": float(len(result["rules"])),
        "conformance_expressible": float(len(result["compiled"])),
        "conformance_orders": float(result["orders"]),
        "conformance_rule_hits": float(result["fired"]),
        "conformance_mismatches": float(len(result["mismatches"])),
        "conformance_decision_mismatches": float(result["decision_mismatches"]),
    }


if __name__ == "__main__":
    outcome = check(2000)
    print(len(outcome["mismatches"]), outcome["decision_mismatches"], outcome["fired"])
    for n, i in outcome["mismatches"][:10]:
        rule = outcome["rules"][i]
        print(to_rule_text(rule), generate_orders(2000)[n])
