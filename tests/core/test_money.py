from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeguard.core.errors import Invalid
from storeguard.core.money import Money, exponent, to_decimal_str, to_minor


def test_to_minor_converts_decimal_string_exactly():
    assert to_minor("199.00", "USD") == 19900
    assert to_minor("0.10", "EUR") == 10


def test_to_minor_handles_zero_decimal_currency():
    assert to_minor("1500", "JPY") == 1500


def test_to_minor_handles_three_decimal_currency():
    assert to_minor("1.234", "KWD") == 1234


def test_to_minor_refuses_more_decimals_than_currency_has():
    with pytest.raises(Invalid) as err:
        to_minor("10.5", "JPY")
    assert err.value.code == "invalid_amount"


def test_to_minor_refuses_floats():
    with pytest.raises(Invalid):
        to_minor(1.1, "USD")  # type: ignore[arg-type]


def test_to_minor_refuses_unknown_currency():
    with pytest.raises(Invalid) as err:
        to_minor("1.00", "XYZ")
    assert err.value.code == "invalid_currency"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["USD", "JPY", "KWD", "NOK"]))
def test_decimal_string_round_trips(minor, currency):
    assert to_minor(to_decimal_str(minor, currency), currency) == minor


def test_money_refuses_mixing_currencies():
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")


def test_money_parse_and_str():
    assert str(Money.parse(Decimal("12.5"), "nok")) == "12.50 NOK"


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("USD", 2),
        ("NOK", 2),
        ("HUF", 2),
        ("JPY", 0),
        ("ISK", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("TND", 3),
        ("CLF", 4),
    ],
)
def test_exponent_is_iso_4217s_minor_unit(currency, places):
    assert exponent(currency) == places


def test_a_code_iso_gives_no_minor_unit_is_taken_with_two_places():
    assert (exponent("XAU"), to_minor("1.25", "XAU")) == (2, 125)
