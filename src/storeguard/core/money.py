"""Money as integer minor units with an ISO 4217 currency; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from iso4217 import Currency

from storeguard.core.errors import CommonError, Invalid

# Minor-unit exponents from ISO 4217's own table (the iso4217 package ships it): 2 for most, 0 for
# JPY or ISK, 3 for KWD, 4 for CLF. Babel's CLDR precision is a display convention (it says 0 for
# HUF cash), so it is not used for this. Codes ISO lists without a minor unit (gold, XXX) and
# historic codes Babel knows are taken with 2.
_EXPONENTS = {c.code: c.exponent for c in Currency if c.exponent is not None}
_KNOWN = frozenset(list_currencies()) | frozenset(_EXPONENTS)


def validate_currency(code: str) -> str:
    """Return the upper-cased ISO 4217 code, or raise ``Invalid`` for an unknown one."""
    upper = (code or "").strip().upper()
    if len(upper) != 3 or upper not in _KNOWN:
        raise Invalid(
            CommonError.invalid_currency, f"{code!r} is not an ISO 4217 currency code", field="currency"
        )
    return upper


def exponent(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has (ISO 4217)."""
    return _EXPONENTS.get(currency, 2)


def to_minor(amount: str | int | Decimal, currency: str, *, field: str = "amount") -> int:
    """Convert a decimal amount ("199.00") to integer minor units, exactly.

    Refuses amounts with more decimals than the currency has rather than rounding
    them away: a silent rounding is a bookkeeping error waiting to be found.
    """
    if isinstance(amount, float):
        raise Invalid(CommonError.invalid_amount, "amounts are decimal strings, never floats", field=field)
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise Invalid(
            CommonError.invalid_amount, f"{amount!r} is not a decimal amount", field=field
        ) from None
    if not value.is_finite():
        raise Invalid(CommonError.invalid_amount, f"{amount!r} is not a finite amount", field=field)
    scaled = value.scaleb(exponent(validate_currency(currency)))
    if scaled != scaled.to_integral_value():
        raise Invalid(
            CommonError.invalid_amount,
            f"{amount!r} has more decimal places than {currency.upper()} allows",
            field=field,
        )
    return int(scaled)


def to_decimal_str(minor: int, currency: str) -> str:
    """Format integer minor units as a plain decimal string ("199.00")."""
    exp = exponent(currency.upper())
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units and its currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build Money from a decimal string in the given currency."""
        cur = validate_currency(currency)
        return cls(to_minor(amount, cur), cur)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __str__(self) -> str:
        return f"{to_decimal_str(self.amount, self.currency)} {self.currency}"
