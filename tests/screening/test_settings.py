"""Changing a shop's screening settings: each bad value refused, naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from storeguard.core.errors import Invalid
from storeguard.screening.policy import merged_settings, money_defaults, validate_settings_change


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"segments": {"watch": {"weight": 150}}}, "settings.segments.watch.weight"),
        ({"segments": {"vip": {"weight": "high"}}}, "settings.segments.vip.weight"),
        ({"segments": {"good": {"weight": 5.5}}}, "settings.segments.good.weight"),
        ({"segments": {"restricted": {"action": "cancel"}}}, "settings.segments.restricted.action"),
        ({"segments": {"watch": {"return_ratio": 1.5}}}, "settings.segments.watch.return_ratio"),
        ({"segments": {"watch": {"refund_ratio": "0.3"}}}, "settings.segments.watch.refund_ratio"),
        ({"segments": {"watch": {"cancellations": -1}}}, "settings.segments.watch.cancellations"),
        ({"segments": {"restricted": {"chargebacks": True}}}, "settings.segments.restricted.chargebacks"),
        ({"segments": {"good": {"min_orders": "3"}}}, "settings.segments.good.min_orders"),
        ({"segments": {"vip": {"max_return_ratio": None}}}, "settings.segments.vip.max_return_ratio"),
        ({"segments": {"vip": {"min_spent": "lots"}}}, "settings.segments.vip.min_spent"),
        ({"segments": {"vip": {"min_spent": "-1.00"}}}, "settings.segments.vip.min_spent"),
        ({"segments": {"vip": {"min_order": 3}}}, "settings.segments.vip.min_order"),
        ({"segments": {"restricted": {"refund_ratio": 0.5}}}, "settings.segments.restricted.refund_ratio"),
        ({"segments": {"neutral": {"weight": 5}}}, "settings.segments.neutral.weight"),
        ({"segments": {"blocked": {"action": "block"}}}, "settings.segments.blocked.action"),
        ({"segments": {"vip": None}}, "settings.segments.vip"),
        ({"segments": {"gold": {"weight": 5}}}, "settings.segments.gold"),
        ({"segments": 5}, "settings.segments"),
    ],
)
def test_settings_change_refuses_a_bad_segment_value_naming_it(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        validate_settings_change({}, changes)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"signals": {"many_cancellations": {"min_cancellations": "3"}}},
            "settings.signals.many_cancellations.min_cancellations",
        ),
        (
            {"signals": {"many_cancellations": {"weight": 101}}},
            "settings.signals.many_cancellations.weight",
        ),
        (
            {"signals": {"many_cancellations": {"enabled": "yes"}}},
            "settings.signals.many_cancellations.enabled",
        ),
        (
            {"signals": {"many_cancellations": {"min_orders": 3}}},
            "settings.signals.many_cancellations.min_orders",
        ),
        ({"signals": {"high_return_ratio": {"ratio": 2}}}, "settings.signals.high_return_ratio.ratio"),
        (
            {"signals": {"has_chargebacks": {"min_chargebacks": None}}},
            "settings.signals.has_chargebacks.min_chargebacks",
        ),
        (
            {"signals": {"first_order_high_value": {"amount": "1.2.3"}}},
            "settings.signals.first_order_high_value.amount",
        ),
        ({"signals": {"country_mismatch": "off"}}, "settings.signals.country_mismatch"),
    ],
)
def test_settings_change_refuses_a_bad_signal_value_naming_it(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        validate_settings_change({}, changes)
    assert refused.value.field == field


def test_settings_change_takes_segment_weights_actions_and_thresholds() -> None:
    changes = {
        "segments": {
            "vip": {"min_spent": 250_000, "weight": -30, "action": None},
            "watch": {"cancellations": 2, "return_ratio": 0.25, "weight": 0, "action": "verify"},
            "restricted": {"return_ratio": 1, "action": "block"},
        },
        "signals": {"many_cancellations": {"weight": 25, "min_cancellations": 5, "enabled": False}},
    }
    stored = validate_settings_change({"score_thresholds": {"review": 50}}, changes)
    assert stored == {"score_thresholds": {"review": 50}} | changes
    segments = merged_settings(stored)["segments"]
    assert segments["watch"] == {
        "return_ratio": 0.25,
        "refund_ratio": 0.3,
        "chargebacks": 1,
        "cancellations": 2,
        "weight": 0,
        "action": "verify",
    }


def test_settings_change_is_not_refused_for_an_unknown_key_stored_before_it_was_checked() -> None:
    # PATCH merges and cannot remove a key, so refusing it would lock the shop out of every change.
    stored = validate_settings_change(
        {"segments": {"vip": {"min_order": 3}}}, {"score_thresholds": {"review": 50}}
    )
    assert stored["score_thresholds"] == {"review": 50}


@pytest.mark.parametrize(
    ("currency", "first_order", "vip"),
    [
        ("USD", 50_000, 100_000),  # 500.00 and 1000.00 dollars
        ("EUR", 50_000, 100_000),
        ("NOK", 500_000, 1_000_000),  # 5,000 kroner: about 500 dollars
        ("JPY", 75_000, 150_000),  # no minor unit
        ("KWD", 500_000, 1_000_000),  # three decimals, not in the table: 500 of its major unit
    ],
)
def test_money_defaults_are_about_500_dollars_in_minor_units_of_each_currency(
    currency: str, first_order: int, vip: int
) -> None:
    defaults = money_defaults(currency)

    assert list(defaults.values()) == [first_order, vip]
    merged = merged_settings(None, currency)
    assert (
        merged["signals"]["first_order_high_value"]["amount"],
        merged["segments"]["vip"]["min_spent"],
    ) == (
        first_order,
        vip,
    )


def test_a_change_with_money_as_text_is_refused_though_stored_text_is_converted() -> None:
    stored = {"signals": {"first_order_high_value": {"amount": "5000.00"}}}

    merged = validate_settings_change(stored, {"segments": {"vip": {"min_spent": 250_000}}}, "NOK")
    with pytest.raises(Invalid) as refused:
        validate_settings_change(stored, {"segments": {"vip": {"min_spent": "2500.00"}}}, "NOK")

    assert merged == {
        "signals": {"first_order_high_value": {"amount": 500_000}},
        "segments": {"vip": {"min_spent": 250_000}},
    }
    assert refused.value.field == "settings.segments.vip.min_spent"
