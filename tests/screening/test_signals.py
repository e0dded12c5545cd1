"""Each signal: when it fires, what it says, and that its weight is the merchant's."""

from __future__ import annotations

from typing import Any

import pytest

from storeguard.screening.policy import merged_settings
from storeguard.screening.signals import SignalContext, evaluate_signals


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "order.billing_country": "NO",
        "order.shipping_country": "NO",
        "order.ip_country": None,
        "order.total": 100.0,
        "order.currency": "NOK",
        "order.is_first_order": False,
        "order.has_high_value": False,
        "order.max_variants_of_one_product": 1,
        "email.is_disposable": False,
        "email.domain": "example.com",
        "linked.blocked_customers": 0,
        "customer.orders_count": 0,
        "customer.return_ratio": 0.0,
        "customer.refund_ratio": 0.0,
        "customer.refunds_count": 0,
        "customer.chargebacks": 0,
        "customer.cancellations": 0,
    }
    return base | {k.replace("__", "."): v for k, v in over.items()}


def fired(f: dict[str, Any], settings: dict[str, Any] | None = None, **ctx: Any) -> dict[str, int]:
    context = SignalContext(
        first_order_amount=ctx.pop("first_order_amount", 50000), total_minor=ctx.pop("total", 10000), **ctx
    )
    reasons = evaluate_signals(f, settings or merged_settings(None), context)
    return {r.code: r.weight for r in reasons}


def test_quiet_order_fires_no_signal_and_sets_every_signal_fact_false() -> None:
    f = facts()
    assert fired(f) == {}
    assert all(v is False for k, v in f.items() if k.startswith("signals."))


def test_country_mismatch_fires_when_billing_and_shipping_differ() -> None:
    assert fired(facts(order__billing_country="SE")) == {"country_mismatch": 15}
    assert fired(facts(order__billing_country=None)) == {}


def test_ip_country_mismatch_fires_only_when_ip_differs_from_both() -> None:
    assert fired(facts(order__ip_country="NG")) == {"ip_country_mismatch": 20}
    assert fired(facts(order__ip_country="NO")) == {}
    both = fired(facts(order__ip_country="SE", order__billing_country="SE"))
    assert "ip_country_mismatch" not in both


def test_disposable_email_names_the_domain() -> None:
    f = facts(email__is_disposable=True, email__domain="mailinator.com")
    reasons = evaluate_signals(f, merged_settings(None), SignalContext(50000, 100))
    assert [r.message for r in reasons] == ["The email address uses the disposable domain mailinator.com."]
    assert f["signals.disposable_email"] is True


def test_first_order_high_value_fires_on_amount_or_high_value_items() -> None:
    assert fired(facts(order__is_first_order=True), total=60000) == {"first_order_high_value": 25}
    assert fired(facts(order__is_first_order=True, order__has_high_value=True)) == {
        "first_order_high_value": 25
    }
    assert fired(facts(order__is_first_order=True), total=49999) == {}
    assert fired(facts(order__is_first_order=False), total=60000) == {}


def test_many_variants_of_one_product_fires_at_the_merchants_minimum() -> None:
    assert fired(facts(order__max_variants_of_one_product=3)) == {"many_variants_of_one_product": 20}
    assert fired(facts(order__max_variants_of_one_product=2)) == {}


def test_shared_shipping_address_counts_other_customers() -> None:
    assert fired(facts(), address_customers=3) == {"shared_shipping_address": 20}
    assert fired(facts(), address_customers=2) == {}


def test_linked_to_blocked_points_at_the_blocked_customer() -> None:
    f = facts(linked__blocked_customers=1)
    reasons = evaluate_signals(
        f, merged_settings(None), SignalContext(50000, 100, blocked_links=[{"type": "customer", "id": 7}])
    )
    assert [(r.code, r.weight, r.ref) for r in reasons] == [
        ("linked_to_blocked", 40, {"type": "customer", "id": 7})
    ]


def test_high_return_ratio_needs_enough_orders() -> None:
    assert fired(facts(customer__orders_count=3, customer__return_ratio=0.5)) == {"high_return_ratio": 20}
    assert fired(facts(customer__orders_count=2, customer__return_ratio=0.9)) == {}


def test_high_refund_ratio_needs_enough_orders() -> None:
    assert fired(facts(customer__orders_count=4, customer__refund_ratio=0.6, customer__refunds_count=3)) == {
        "high_refund_ratio": 15
    }
    assert fired(facts(customer__orders_count=4, customer__refund_ratio=0.4)) == {}


def test_has_chargebacks_fires_on_one() -> None:
    assert fired(facts(customer__chargebacks=1)) == {"has_chargebacks": 35}
    assert fired(facts(customer__chargebacks=0)) == {}


def test_many_cancellations_fires_at_the_merchants_minimum() -> None:
    assert fired(facts(customer__cancellations=3)) == {"many_cancellations": 10}
    assert fired(facts(customer__cancellations=2)) == {}


def test_many_cancellations_says_how_many_orders_were_cancelled() -> None:
    f = facts(customer__cancellations=4)
    reasons = evaluate_signals(f, merged_settings(None), SignalContext(50000, 100), customer_id=12)
    assert [(r.message, r.ref) for r in reasons] == [
        ("4 of the customer's earlier orders were cancelled.", {"type": "customer", "id": 12})
    ]
    assert f["signals.many_cancellations"] is True


def test_many_cancellations_weight_and_minimum_are_the_merchants() -> None:
    settings = merged_settings({"signals": {"many_cancellations": {"weight": 30, "min_cancellations": 1}}})
    assert fired(facts(customer__cancellations=1), settings) == {"many_cancellations": 30}


@pytest.mark.parametrize("enabled", [True, False])
def test_signal_weight_and_switch_are_the_merchants(enabled: bool) -> None:
    settings = merged_settings({"signals": {"country_mismatch": {"weight": 55, "enabled": enabled}}})
    f = facts(order__billing_country="SE")
    assert fired(f, settings) == ({"country_mismatch": 55} if enabled else {})
    assert f["signals.country_mismatch"] is True
    assert settings["signals"]["ip_country_mismatch"]["weight"] == 20
