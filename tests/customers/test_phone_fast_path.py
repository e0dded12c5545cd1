"""The cheap E.164 path of normalize_phone gives exactly what phonenumbers' full parse gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from storeguard.core.errors import Invalid
from storeguard.customers.normalize import _e164_as_written, _parse_phone, normalize_phone

CALLING_CODES = sorted(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
REGIONS = ["NO", "GB", "US", "IT", "DE", "IL", "CN", "BR", None]


def _full(text: str, region: str | None) -> str | None:
    try:
        return _parse_phone(text, text, region, "phone")
    except Invalid:
        return None


def _grouped(digits: str, cuts: list[int]) -> str:
    """Put single spaces into ``digits`` at the given places (the ways people group numbers)."""
    out, last = [], 0
    for cut in sorted({c for c in cuts if 0 < c < len(digits)}):
        out.append(digits[last:cut])
        last = cut
    out.append(digits[last:])
    return " ".join(out)


numbers = st.builds(
    lambda code, national, cuts: "+" + _grouped(code + national, cuts),
    st.one_of(st.sampled_from(CALLING_CODES), st.from_regex(r"[1-9][0-9]{0,2}", fullmatch=True)),
    st.from_regex(r"[0-9]{0,18}", fullmatch=True),
    st.lists(st.integers(min_value=1, max_value=20), max_size=4),
)


@settings(max_examples=1000, deadline=None)
@given(numbers, st.sampled_from(REGIONS))
def test_phone_fast_path_agrees_with_the_full_parse(text: str, region: str | None) -> None:
    fast = _e164_as_written(text)
    full = _full(text, region)

    if fast is not None:
        assert fast == full
    try:
        assert normalize_phone(text, default_region=region) == full
    except Invalid:
        assert full is None


@pytest.mark.parametrize("code", CALLING_CODES)
def test_phone_fast_path_agrees_with_the_full_parse_for_every_calling_code_and_length(code: str) -> None:
    for length in range(0, 19):
        for lead in "0123456789":
            text = f"+{code}{(lead + '23456789' * 3)[:length]}"
            fast = _e164_as_written(text)
            if fast is not None:
                assert fast == _full(text, "NO"), text


@pytest.mark.parametrize(
    "text",
    ["+47 41234567", "+4741234567", "+44 7911 123456", "+1 650 253 0000", "+46 70 123 45 67"],
)
def test_phone_fast_path_takes_plain_international_numbers(text: str) -> None:
    assert _e164_as_written(text) == "+" + text[1:].replace(" ", "")


@pytest.mark.parametrize(
    "text",
    [
        "+39 06 1234 5678",
        "+44 07911 123456",
        "+1 1650 253 0000",
        "+47  41234567",
        "0047 41234567",
        "+999 1234",
    ],
)
def test_phone_fast_path_leaves_leading_zeros_prefixes_and_odd_forms_to_the_full_parse(text: str) -> None:
    assert _e164_as_written(text) is None


# Codes several regions share (+1, +44, +47...) take their own path (the region is read from the
# number's digits), so they are drawn as often as all the others together.
SHARED_CODES = sorted(str(code) for code, regions in COUNTRY_CODE_TO_REGION_CODE.items() if len(regions) > 1)


@settings(max_examples=2000)
@given(
    st.one_of(st.sampled_from(CALLING_CODES), st.sampled_from(SHARED_CODES)),
    st.from_regex(r"[0-9]{2,14}", fullmatch=True),
    st.sampled_from(REGIONS),
)
def test_phone_country_of_an_e164_number_matches_the_full_parse(
    code: str, national: str, region: str | None
) -> None:
    from storeguard.screening.facts import _phone_country, phone_country

    number = f"+{code}{national}"
    assert phone_country(number, region) == _phone_country(number, region)


@pytest.mark.parametrize(
    ("number", "country"),
    [("+4791234567", "NO"), ("+4779012345", "SJ"), ("+12125551234", "US"), ("+14165551234", "CA")],
)
def test_phone_country_tells_regions_that_share_a_calling_code_apart(number: str, country: str) -> None:
    from storeguard.screening.facts import phone_country

    assert phone_country(number, None) == country
