"""Languages of the admin pages: gettext catalogs (Babel) and locale-aware dates, numbers and money.

The catalogs are the ``.po`` files under ``web/locale/<lang>/LC_MESSAGES`` (one per package), read,
merged and compiled in memory when first needed: there is no build step and no compiled file to go
stale. English is the source language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from storeguard.core.enums import Language
from storeguard.core.money import exponent

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
RTL = frozenset({Language.he})
# Babel's locale for each language: Norwegian Bokmål is "nb", Chinese is shown in simplified script.
_BABEL_LOCALE = {Language.en: "en", Language.nb: "nb_NO", Language.he: "he_IL", Language.zh: "zh_Hans_CN"}


def N_(message: str) -> str:
    """Mark a message for the catalogs without translating it yet (it is translated when shown)."""
    return message


def parse_language(value: str | None) -> Language | None:
    """Return the language a code names ("nb", "he-IL", "zh_CN", "no"), or None."""
    if not value:
        return None
    base = value.strip().replace("_", "-").split("-")[0].lower()
    base = {"no": "nb", "nn": "nb", "iw": "he"}.get(base, base)
    try:
        return Language(base)
    except ValueError:
        return None


def from_accept_language(header: str | None) -> Language | None:
    """Return the first language of an Accept-Language header that the pages speak, or None."""
    weighted = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        language = parse_language(tag)
        if language is not None:
            return language
    return None


@cache
def translations(language: Language) -> NullTranslations:
    """Return the compiled catalog of a language (English: the source text itself)."""
    paths = sorted((LOCALE_DIR / language.value / "LC_MESSAGES").glob("*.po"))
    if not paths:
        return NullTranslations()
    catalog = Catalog(locale=_BABEL_LOCALE[language], domain=DOMAIN)
    for path in paths:
        with path.open("rb") as handle:
            for message in read_po(handle, locale=_BABEL_LOCALE[language], domain=path.stem):
                if message.id and message.string and not message.fuzzy:
                    catalog[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy (unchecked) entries are left out, so they show in English
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


@cache
def _money_pattern(language: Language) -> str:
    """Return the language's money pattern with the ISO code ("NOK 1,234.50", "1 234,50 NOK").

    Always the code, never a symbol: "kr" is three currencies and "¥" two, and money here is
    always shown with its currency.
    """
    pattern = Locale.parse(_BABEL_LOCALE[language]).currency_formats["standard"].pattern
    pattern = pattern.replace("¤", "¤¤")
    return re.sub(r"¤¤(?=[#0-])", "¤¤\xa0", pattern)


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Speaker:
    """One request's language: its catalog, its direction and how it writes dates, numbers and money."""

    language: Language
    timezone: str = "UTC"

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL else "ltr"

    @property
    def locale(self) -> Locale:
        return Locale.parse(_BABEL_LOCALE[self.language])

    def gettext(self, message: str, **values: Any) -> str:
        """Translate ``message`` and fill in its ``%(name)s`` placeholders."""
        text = translations(self.language).ugettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """Translate a message that depends on a count ``n`` (given to it as ``num``)."""
        text = translations(self.language).ungettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def language_name(self, code: str) -> str:
        """Name a language in this one ("he" is "Hebrew" in English, "hebraisk" in Norwegian)."""
        try:
            return Locale.parse(code).get_display_name(self.locale) or code
        except (ValueError, TypeError):
            return code

    def money(self, minor: int | None, currency: str) -> str:
        """Write an amount in minor units with its currency, as this language does ("kr 1 234,50")."""
        if minor is None:
            return ""
        amount = Decimal(minor).scaleb(-exponent(currency))
        return format_currency(
            amount, currency, format=_money_pattern(self.language), locale=self.locale, currency_digits=True
        )

    def amount(self, minor: int | None, currency: str) -> str:
        """Write minor units as a plain decimal for a form field ("1234.50"), in any language."""
        if minor is None:
            return ""
        return f"{Decimal(minor).scaleb(-exponent(currency)):.{exponent(currency)}f}"

    def number(self, value: int | float | Decimal) -> str:
        """Write a number with this language's grouping and decimal signs."""
        return format_decimal(value, locale=self.locale)

    def datetime(self, value: datetime | None, length: str = "medium") -> str:
        """Write a moment in the pages' time zone."""
        if value is None:
            return ""
        return format_datetime(value, length, tzinfo=_zone(self.timezone), locale=self.locale)

    def date(self, value: date | datetime | None, length: str = "medium") -> str:
        """Write a day."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(_zone(self.timezone)).date()
        return format_date(value, length, locale=self.locale)

    def today(self, now: datetime | None = None) -> date:
        """Return today's date in the pages' time zone."""
        return (now or datetime.now(UTC)).astimezone(_zone(self.timezone)).date()

    def day_start(self, day: date) -> datetime:
        """Return when a day of the pages' time zone begins, in UTC."""
        return datetime.combine(day, time.min, tzinfo=_zone(self.timezone)).astimezone(UTC)

    def day_of(self, moment: datetime) -> date:
        """Return the day of the pages' time zone a moment falls on."""
        return moment.astimezone(_zone(self.timezone)).date()

    def age(self, since: datetime | None, now: datetime | None = None) -> str:
        """Write how long ago ``since`` was ("3 hours"), in words of this language."""
        if since is None:
            return ""
        elapsed = (now or datetime.now(UTC)) - since
        return format_timedelta(max(elapsed, timedelta(0)), threshold=1.1, locale=self.locale)
