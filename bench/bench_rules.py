"""Rule evaluation speed: 50 realistic rules against a hand-written Python lambda floor.

Figures:
- ``rule_eval_us``: mean microseconds for one ``CompiledRule.matches(facts)`` over the 50 rules;
- ``rule_eval_floor_us``: the same for plain lambdas written by hand (``f['order.total'] > 500``),
  which know nothing of nulls or errors: the fastest Python could be;
- ``rule_eval_ratio``: the first over the second;
- ``rule_batch_1m_s``: seconds for ``matches_many`` of one rule over 1,000,000 fact rows (a pool of
  distinct rows referenced a million times, so the figure measures evaluation, not memory).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from storeguard.rules import FACTS, NamedLists, compile_rule
from storeguard.rules.facts import FactType

F = dict[str, Any]
HIGH_RISK = frozenset({"NG", "RU", "BY"})
RESTRICTED = frozenset({"knives", "gift_cards"})
LISTS = NamedLists({"high_risk_countries": HIGH_RISK, "restricted_categories": RESTRICTED})
DISPOSABLE = LISTS["disposable_domains"]

# (rule, the same condition as a plain Python lambda)
RULES: list[tuple[str, Callable[[F], Any]]] = [
    ("review if order.total > 500 and customer.orders_count == 0",
     lambda f: f["order.total"] > 500 and f["customer.orders_count"] == 0),
    ("block if email.domain in @disposable_domains", lambda f: f["email.domain"] in DISPOSABLE),
    ("verify if velocity.orders_per_ip_24h >= 5", lambda f: f["velocity.orders_per_ip_24h"] >= 5),
    ("block if linked.blocked_customers > 0 and order.has_limited_edition",
     lambda f: f["linked.blocked_customers"] > 0 and f["order.has_limited_edition"]),
    ("review if order.shipping_country != order.billing_country and order.total > 300",
     lambda f: f["order.shipping_country"] != f["order.billing_country"] and f["order.total"] > 300),
    ("review if customer.chargebacks / customer.orders_count > 0.1",
     lambda f: f["customer.orders_count"] and f["customer.chargebacks"] / f["customer.orders_count"] > 0.1),
    ("allow if customer.segment == 'vip'", lambda f: f["customer.segment"] == "vip"),
    ("review if order.shipping_country in @high_risk_countries", lambda f: f["order.shipping_country"] in HIGH_RISK),
    ("verify if email.address.endswith('.ru') and order.is_first_order",
     lambda f: f["email.address"].endswith(".ru") and f["order.is_first_order"]),
    ("review if order.categories.contains_any(@restricted_categories) and customer.account_age_days < 7",
     lambda f: not RESTRICTED.isdisjoint(f["order.categories"]) and f["customer.account_age_days"] < 7),
    ("review if order.max_variants_of_one_product >= 4 and customer.return_ratio > 0.5",
     lambda f: f["order.max_variants_of_one_product"] >= 4 and f["customer.return_ratio"] > 0.5),
    ("review if signals.country_mismatch and signals.first_order_high_value",
     lambda f: f["signals.country_mismatch"] and f["signals.first_order_high_value"]),
    ("block if signals.linked_to_blocked and not signals.has_chargebacks and order.has_high_value",
     lambda f: f["signals.linked_to_blocked"] and not f["signals.has_chargebacks"] and f["order.has_high_value"]),
    ("review if customer.return_ratio > 0.7 and customer.orders_count >= 5 and order.total > 200",
     lambda f: f["customer.return_ratio"] > 0.7 and f["customer.orders_count"] >= 5 and f["order.total"] > 200),
    ("review if customer.refund_ratio >= 0.5 and customer.refunds_count >= 3",
     lambda f: f["customer.refund_ratio"] >= 0.5 and f["customer.refunds_count"] >= 3),
    ("block if velocity.orders_per_card_1h >= 4", lambda f: f["velocity.orders_per_card_1h"] >= 4),
    ("review if velocity.amount_per_card_24h > 3000", lambda f: f["velocity.amount_per_card_24h"] > 3000),
    ("verify if customer.account_age_days < 1 and order.has_limited_edition",
     lambda f: f["customer.account_age_days"] < 1 and f["order.has_limited_edition"]),
    ("verify if phone.country != order.shipping_country and order.total > 250",
     lambda f: f["phone.country"] != f["order.shipping_country"] and f["order.total"] > 250),
    ("review if velocity.orders_per_device_24h >= 3 and velocity.orders_per_address_24h <= 1",
     lambda f: f["velocity.orders_per_device_24h"] >= 3 and f["velocity.orders_per_address_24h"] <= 1),
    ("review if order.shipping / order.total > 0.4 and order.total > 100",
     lambda f: f["order.total"] and f["order.shipping"] / f["order.total"] > 0.4 and f["order.total"] > 100),
    ("block if customer.is_disabled", lambda f: f["customer.is_disabled"]),
    ("allow if customer.segment in ['vip', 'good'] and customer.chargebacks == 0",
     lambda f: f["customer.segment"] in ("vip", "good") and f["customer.chargebacks"] == 0),
    ("allow if order.source == 'pos'", lambda f: f["order.source"] == "pos"),
    ("review if order.line_count == 1 and order.item_count >= 10 and not order.is_first_order",
     lambda f: f["order.line_count"] == 1 and f["order.item_count"] >= 10 and not f["order.is_first_order"]),
    ("block if email.is_disposable and order.total > 100",
     lambda f: f["email.is_disposable"] and f["order.total"] > 100),
    ("review if order.ip_country != order.shipping_country and order.total > 400",
     lambda f: f["order.ip_country"] != f["order.shipping_country"] and f["order.total"] > 400),
    ("verify if velocity.orders_per_email_1h >= 3", lambda f: f["velocity.orders_per_email_1h"] >= 3),
    ("block if velocity.orders_per_phone_24h > 10", lambda f: f["velocity.orders_per_phone_24h"] > 10),
    ("review if velocity.amount_per_ip_7d > 10000 and customer.orders_count < 3",
     lambda f: f["velocity.amount_per_ip_7d"] > 10000 and f["customer.orders_count"] < 3),
    ("review if customer.segment == 'watch' and order.total > 150",
     lambda f: f["customer.segment"] == "watch" and f["order.total"] > 150),
    ("block if customer.segment == 'blocked'", lambda f: f["customer.segment"] == "blocked"),
    ("review if customer.cancellations >= 3 and order.is_first_order == false",
     lambda f: f["customer.cancellations"] >= 3 and f["order.is_first_order"] is False),
    ("review if 'preorder' in order.tags and order.item_count > 2",
     lambda f: "preorder" in f["order.tags"] and f["order.item_count"] > 2),
    ("review if order.currency != 'USD' and order.total > 2000",
     lambda f: f["order.currency"] != "USD" and f["order.total"] > 2000),
    ("verify if signals.ip_country_mismatch or signals.disposable_email",
     lambda f: f["signals.ip_country_mismatch"] or f["signals.disposable_email"]),
    ("review if signals.many_variants_of_one_product and signals.high_return_ratio",
     lambda f: f["signals.many_variants_of_one_product"] and f["signals.high_return_ratio"]),
    ("review if signals.shared_shipping_address and linked.customers >= 3",
     lambda f: f["signals.shared_shipping_address"] and f["linked.customers"] >= 3),
    ("block if signals.high_refund_ratio and signals.has_chargebacks",
     lambda f: f["signals.high_refund_ratio"] and f["signals.has_chargebacks"]),
    ("review if order.total - order.shipping > 1500 and customer.total_spent < 100",
     lambda f: f["order.total"] - f["order.shipping"] > 1500 and f["customer.total_spent"] < 100),
    ("review if order.total > customer.total_spent * 3 and customer.orders_count > 0",
     lambda f: f["order.total"] > f["customer.total_spent"] * 3 and f["customer.orders_count"] > 0),
    ("verify if email.address.contains('+') and order.total > 300",
     lambda f: "+" in f["email.address"] and f["order.total"] > 300),
    ("review if order.billing_country not in ['US', 'CA'] and order.has_high_value",
     lambda f: f["order.billing_country"] not in ("US", "CA") and f["order.has_high_value"]),
    ("allow if customer.orders_count >= 10 and customer.return_ratio < 0.1 and customer.chargebacks == 0",
     lambda f: f["customer.orders_count"] >= 10 and f["customer.return_ratio"] < 0.1
     and f["customer.chargebacks"] == 0),
    ("review if order.ip_country is null and order.total > 500",
     lambda f: f["order.ip_country"] is None and f["order.total"] > 500),
    ("block if velocity.orders_per_ip_1h >= 10 or velocity.orders_per_card_24h >= 15",
     lambda f: f["velocity.orders_per_ip_1h"] >= 10 or f["velocity.orders_per_card_24h"] >= 15),
    ("review if (order.has_high_value or order.has_limited_edition) and customer.account_age_days < 3",
     lambda f: (f["order.has_high_value"] or f["order.has_limited_edition"]) and f["customer.account_age_days"] < 3),
    ("review if email.domain.endswith('.xyz') or email.domain.endswith('.top')",
     lambda f: f["email.domain"].endswith(".xyz") or f["email.domain"].endswith(".top")),
    ("verify if order.source != 'web' and order.total > 1000 and linked.customers > 0",
     lambda f: f["order.source"] != "web" and f["order.total"] > 1000 and f["linked.customers"] > 0),
    ("review if order.item_count / order.line_count > 5 and order.total > 400",
     lambda f: f["order.line_count"] and f["order.item_count"] / f["order.line_count"] > 5
     and f["order.total"] > 400),
]  # fmt: skip

COUNTRIES = ["US", "NO", "SE", "DE", "GB", "NG", "RU", "CA"]
DOMAINS = ["gmail.com", "example.com", "mailinator.com", "yahoo.co.uk", "shop.xyz"]


def _row(rng: random.Random) -> F:
    """One realistic fact row with every fact present (the floor lambdas cannot handle nulls)."""
    row: F = {}
    for name, spec in FACTS.items():
        if spec.type == FactType.bool:
            row[name] = rng.random() < 0.15
        elif spec.type == FactType.integer:
            row[name] = rng.choice([0, 0, 1, 1, 2, 3, 5, 8, 12])
        elif spec.type == FactType.number:
            row[name] = round(rng.uniform(0, 1) if "ratio" in name else rng.uniform(0, 3000), 2)
        elif spec.type == FactType.string_list:
            row[name] = rng.sample(
                ["shoes", "knives", "preorder", "sale", "gift_cards", "shirts"], rng.randint(0, 3)
            )
        elif spec.type == FactType.lines:
            row[name] = ()  # no rule of the bench reads the lines
        else:
            row[name] = "x"
    domain = rng.choice(DOMAINS)
    row.update(
        {
            "order.shipping_country": rng.choice(COUNTRIES),
            "order.billing_country": rng.choice(COUNTRIES),
            "order.ip_country": rng.choice(COUNTRIES),
            "phone.country": rng.choice(COUNTRIES),
            "order.currency": rng.choice(["USD", "EUR", "NOK"]),
            "order.source": rng.choice(["web", "web", "pos", "api"]),
            "customer.segment": rng.choice(["vip", "good", "neutral", "neutral", "watch", "blocked"]),
            "email.domain": domain,
            "email.address": f"{rng.choice(['kari', 'ola+1', 'x'])}@{domain}",
            "ip.address": "203.0.113.7",
            "customer.account_age_days": float(rng.choice([0, 1, 2, 30, 400])),
        }
    )
    return row


def _time_per_call(fn: Callable[[F], Any], rows: list[F], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for r in rows:
            fn(r)
        best = min(best, time.perf_counter() - start)
    return best / len(rows) * 1e6


def run(quick: bool = False) -> dict[str, float]:
    """Measure rule evaluation against the lambda floor, and one rule over a million rows."""
    rng = random.Random(7)
    rows = [_row(rng) for _ in range(500 if quick else 2000)]
    repeats = 3 if quick else 7
    compiled = [(compile_rule(src, FACTS, LISTS), floor) for src, floor in RULES]
    assert len(compiled) == 50
    for rule, floor in compiled:  # the floor must be the same condition, or the ratio means nothing
        assert [rule.matches(r) for r in rows] == [bool(floor(r)) for r in rows], rule.source
    # Rule and floor are timed in turn, so a busy machine slows both alike.
    rule_total = floor_total = 0.0
    for rule, floor in compiled:
        rule_total += _time_per_call(rule.matches, rows, repeats)
        floor_total += _time_per_call(floor, rows, repeats)
    rule_us, floor_us = rule_total / len(compiled), floor_total / len(compiled)

    batch_rule = compiled[0][0]
    pool = [_row(rng) for _ in range(2000 if quick else 10_000)]
    size = 200_000 if quick else 1_000_000
    batch = (pool * (size // len(pool) + 1))[:size]
    start = time.perf_counter()
    hits = batch_rule.matches_many(batch)
    elapsed = time.perf_counter() - start
    assert len(hits) == size
    return {
        "rule_eval_us": round(rule_us, 3),
        "rule_eval_floor_us": round(floor_us, 3),
        "rule_eval_ratio": round(rule_us / floor_us, 2),
        "rule_batch_1m_s": round(elapsed * (1_000_000 / size), 3),
    }


if __name__ == "__main__":
    print(run())
