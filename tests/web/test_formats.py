"""Languages, formats, page keys and form messages: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, Field

from storeguard.core.enums import Language
from storeguard.core.errors import DomainError
from storeguard.web.forms import Form, check
from storeguard.web.i18n import Speaker, from_accept_language, parse_language
from storeguard.web.pagination import decode_key, encode_key

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "minor", "currency", "written"),
    [
        (Language.en, 123450, "NOK", f"NOK{NBSP}1,234.50"),
        (Language.nb, 123450, "NOK", f"1{NBSP}234,50{NBSP}NOK"),
        (Language.zh, 1500, "JPY", f"JPY{NBSP}1,500"),
        (Language.en, 1234, "KWD", f"KWD{NBSP}1.234"),
        (Language.he, 990, "ILS", f"\u200f9.90{NBSP}\u200fILS"),
    ],
)
def test_money_is_written_in_the_pages_language_always_with_its_currency_code(
    language, minor, currency, written
):
    assert Speaker(language).money(minor, currency) == written


def test_an_amount_for_a_form_field_is_a_plain_decimal_in_every_language():
    assert [Speaker(lang).amount(123450, "NOK") for lang in Language] == ["1234.50"] * 4


def test_times_are_shown_in_the_pages_time_zone():
    moment = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

    assert Speaker(Language.nb, "Europe/Oslo").datetime(moment, "short") == "06.12.2026, 00:30"
    assert Speaker(Language.en, "UTC").date(moment) == "Dec 5, 2026"


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("nb", Language.nb),
        ("no", Language.nb),
        ("he-IL", Language.he),
        ("zh_CN", Language.zh),
        ("fr", None),
        ("", None),
    ],
)
def test_a_language_code_is_read_leniently(code, language):
    assert parse_language(code) is language


def test_accept_language_picks_the_most_wanted_language_the_pages_speak():
    assert from_accept_language("fr-CH, fr;q=0.9, zh;q=0.7, he;q=0.8") is Language.he
    assert from_accept_language("de, fr") is None


def test_a_page_key_reads_back_as_written():
    key = (datetime(2026, 12, 5, 10, 15, 0, 123456, tzinfo=UTC), 4211)

    assert encode_key(key) == "20261205T101500123456~4211"
    assert decode_key(encode_key(key), field="after") == key


@pytest.mark.parametrize("text", ["nonsense", "20261205T101500123456~x", "20261205T101500123456~0", "~5"])
def test_a_page_key_this_site_did_not_write_is_refused_naming_the_field(text):
    with pytest.raises(DomainError) as refused:
        decode_key(text, field="after")

    assert (refused.value.status, refused.value.field) == (422, "after")


class _Shape(BaseModel):
    quantity: int = Field(ge=0)
    reason: str


def test_a_form_that_does_not_hold_marks_each_field_in_the_pages_language():
    form = Form(values={"quantity": "two"})

    checked = check(_Shape, {"quantity": "two"}, Speaker(Language.en), form)

    assert checked is None
    assert form.errors == {"quantity": "Enter a whole number.", "reason": "This field is required."}
    assert form.ok is False
