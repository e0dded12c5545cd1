"""Pure rules for shops and products: what a valid platform, country, domain, SKU and price are."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones as _zones

import idna
from babel import Locale

from storeguard.core.errors import CommonError, Invalid
from storeguard.core.schemas import MONEY_MAX, QUANTITY_MAX
from storeguard.shops.enums import Platform
from storeguard.shops.errors import ShopError

if TYPE_CHECKING:
    from storeguard.shops.models import Shop

# CLDR lists regions as well as countries; these two-letter codes are groupings or placeholders
# (EU, UN, "unknown region"), not ISO 3166-1 countries. XK (Kosovo) stays: carriers and Shopify use it.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
COUNTRIES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_platform(value: str) -> Platform:
    """Return the platform named by ``value`` or refuse it."""
    try:
        return Platform((value or "").strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Platform)
        raise Invalid(
            ShopError.invalid_platform, f"{value!r} is not a platform ({choices})", field="platform"
        ) from None


def parse_country(value: str) -> str:
    """Return the upper-cased ISO 3166-1 alpha-2 code or refuse it."""
    code = (value or "").strip().upper()
    if code not in COUNTRIES:
        raise Invalid(
            CommonError.invalid_country,
            f"{value!r} is not an ISO 3166-1 alpha-2 country code",
            field="country",
        )
    return code


def parse_time_zone(value: str) -> str:
    """Return an IANA time zone name (Europe/Oslo) the system knows, or refuse it."""
    name = (value or "").strip()
    if name not in available_timezones():
        raise Invalid(
            ShopError.invalid_time_zone,
            f"{value!r} is not a time zone; give its IANA name, like Europe/Oslo",
            field="time_zone",
        )
    return name


def normalize_domain(value: str) -> str:
    """Return the shop's host name in lower-case ASCII (IDNA), refusing URLs and malformed names."""
    raw = (value or "").strip().lower().rstrip(".")
    # People paste the storefront URL; the host is what identifies the shop.
    raw = re.sub(r"^https?://", "", raw).rstrip("/")
    try:
        ascii_name = idna.encode(raw, uts46=True).decode("ascii") if raw else ""
    except idna.IDNAError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise Invalid(
            ShopError.invalid_domain, f"{value!r} is not a domain name like shop.example.com", field="domain"
        )
    return ascii_name


def require_text(value: str | None, *, code: ShopError, field: str, what: str) -> str:
    """Return ``value`` stripped, or refuse it when blank."""
    text = (value or "").strip()
    if not text:
        raise Invalid(code, f"{what} must not be blank", field=field)
    return text


def check_price(price: int) -> int:
    """Return the price in minor units, refusing a negative one or one past what an order can hold."""
    if not 0 <= price <= MONEY_MAX:
        raise Invalid(ShopError.invalid_price, f"a price is 0 to {MONEY_MAX} minor units", field="price")
    return price


def check_stock(stock: int) -> int:
    """Return the stock count, refusing a negative one or one past the largest quantity."""
    if not 0 <= stock <= QUANTITY_MAX:
        raise Invalid(ShopError.invalid_stock, f"stock is 0 to {QUANTITY_MAX} units", field="stock")
    return stock


def clean_tags(tags: list[str]) -> list[str]:
    """Return tags stripped, without blanks or repeats, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        text = tag.strip()
        if text and text.lower() not in {t.lower() for t in seen}:
            seen[text] = None
    return list(seen)


def clean_options(options: dict[str, list[str]]) -> dict[str, list[str]]:
    """Return variant options ({"size": ["S", "M"]}) stripped, refusing an option without values."""
    cleaned: dict[str, list[str]] = {}
    for name, values in options.items():
        key = name.strip().lower()
        vals = [v.strip() for v in values if v.strip()]
        if not key or not vals:
            raise Invalid(
                ShopError.invalid_options,
                f"option {name!r} needs a name and at least one value",
                field="options",
            )
        cleaned[key] = list(dict.fromkeys(vals))
    return cleaned


# Which platform tags and product types mark a product high-value or limited-edition: the
# merchant's mapping, kept in the shop's settings; these are the defaults.
DEFAULT_CATALOGUE_MAPPING: dict[str, list[str]] = {
    "high_value_tags": ["high-value"],
    "limited_edition_tags": ["limited-edition"],
    "high_value_types": [],
    "limited_edition_types": [],
}


def catalogue_mapping(settings: dict[str, Any] | None) -> dict[str, list[str]]:
    """Return the shop's catalogue mapping, with the defaults for what it does not set."""
    mine = (settings or {}).get("catalogue") or {}
    return {key: list(mine.get(key, default)) for key, default in DEFAULT_CATALOGUE_MAPPING.items()}


def clean_catalogue_mapping(mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """Return a mapping with each list stripped, lowercased and without blanks; refuse unknown keys."""
    unknown = sorted(set(mapping) - set(DEFAULT_CATALOGUE_MAPPING))
    if unknown:
        raise Invalid(
            ShopError.invalid_catalogue_mapping,
            f"unknown mapping {', '.join(unknown)}; use {', '.join(DEFAULT_CATALOGUE_MAPPING)}",
            field=unknown[0],
        )
    return {key: sorted({v.strip().lower() for v in values if v.strip()}) for key, values in mapping.items()}


def catalogue_flags(tags: list[str], product_type: str, mapping: dict[str, list[str]]) -> tuple[bool, bool]:
    """Return (high_value, limited_edition) for a platform product's tags and type, by the mapping."""
    tagged = {t.strip().lower() for t in tags}
    kind = product_type.strip().lower()
    high = bool(tagged & set(mapping["high_value_tags"])) or kind in mapping["high_value_types"]
    limited = bool(tagged & set(mapping["limited_edition_tags"])) or kind in mapping["limited_edition_types"]
    return high, limited


# Set when a platform that mails its own customers (Shopify, with an Admin API token) is connected:
# storeguard then asks the platform to notify instead of mailing a second time.
PLATFORM_MAILS_CUSTOMERS = "platform_mails_customers"


def platform_mails_customers(shop: Shop | None, platform_id: str | None) -> bool:
    """Whether the platform tells the customer about a change to this platform's order itself."""
    return (
        shop is not None and bool(platform_id) and bool((shop.settings or {}).get(PLATFORM_MAILS_CUSTOMERS))
    )


@cache
def available_timezones() -> frozenset[str]:
    """The IANA time zone names the system knows (read once: listing them walks the zone database)."""
    return frozenset(_zones())
