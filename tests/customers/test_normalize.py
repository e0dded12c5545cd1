"""Normalizers: canonical keys, clear refusals, and idempotence (normalizing twice changes nothing)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storeguard.core.errors import Invalid
from storeguard.customers.normalize import (
    name_address_key,
    normalize_address,
    normalize_cidr,
    normalize_email,
    normalize_identifier,
    normalize_ip,
    normalize_name,
    normalize_payment_fingerprint,
    normalize_phone,
    normalize_street,
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Kari.Nordmann+shop@GoogleMail.com ", "karinordmann@gmail.com"),
        ("kari@ICLOUD.com", "kari@icloud.com"),
        ("kari+x@outlook.com", "kari@outlook.com"),
        ("kari-news@yahoo.com", "kari@yahoo.com"),
        ("kari-a-b@yahoo.com", "kari@yahoo.com"),
        ("kari+x@example.no", "kari+x@example.no"),
        ("kari@XN--MLLER-KVA.com", "kari@müller.com"),
        ("kari@Müller.com", "kari@müller.com"),
        ("ｋａｒｉ@example.com", "kari@example.com"),
    ],
)
def test_normalize_email_gives_the_mailbox_key(raw: str, key: str) -> None:
    assert normalize_email(raw) == key


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "kari",
        "@gmail.com",
        "kari@",
        "kari@localhost",
        "ka ri@example.com",
        "+tag@gmail.com",
        "kari@exa mple.com",
        "kari@-bad-.com",
    ],
)
def test_normalize_email_refuses_what_is_not_an_address_naming_the_field_and_value(raw: str) -> None:
    with pytest.raises(Invalid) as err:
        normalize_email(raw)
    assert err.value.code == "invalid_email"
    assert err.value.field == "email"
    assert err.value.extra["value"] == raw


@pytest.mark.parametrize(
    ("raw", "region", "key"),
    [
        ("912 34 567", "NO", "+4791234567"),
        ("+47 912 34 567", "US", "+4791234567"),
        ("0047 91234567", "NO", "+4791234567"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_normalize_phone_gives_e164_with_the_shops_country_as_default(
    raw: str, region: str, key: str
) -> None:
    assert normalize_phone(raw, default_region=region) == key


@pytest.mark.parametrize("raw", ["", "abc", "12", "+47 1"])
def test_normalize_phone_refuses_impossible_numbers(raw: str) -> None:
    with pytest.raises(Invalid) as err:
        normalize_phone(raw, default_region="NO")
    assert (err.value.code, err.value.field, err.value.extra["value"]) == ("invalid_phone", "phone", raw)


def test_normalize_ip_folds_ipv4_mapped_ipv6_and_compresses() -> None:
    assert normalize_ip("::ffff:192.0.2.7") == "192.0.2.7"
    assert normalize_ip("2001:0db8:0000:0000:0000:0000:0000:0001") == "2001:db8::1"
    assert normalize_ip("[2001:db8::1]") == "2001:db8::1"


def test_normalize_cidr_clears_host_bits_and_refuses_garbage() -> None:
    assert normalize_cidr("10.1.2.3/8") == "10.0.0.0/8"
    assert normalize_cidr("2001:db8::1/32") == "2001:db8::/32"
    assert normalize_cidr("192.0.2.7") == "192.0.2.7/32"
    with pytest.raises(Invalid) as err:
        normalize_cidr("10.0.0.0/33")
    assert (err.value.code, err.value.field) == ("invalid_cidr", "cidr")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Storgata 5B, leil. H0301", "STORGT. 5 b H0301"),
        ("Kirkeveien 12", "kirkevn 12"),
        ("Karl Johans gate 1", "Karl Johans gt. 1"),
        ("12 North Main Street, Apt #4", "12 N. Main St unit 4"),
        ("Apartment 4, 12 Main Road", "12 main rd apt 4"),
        ("Åsveien 3", "ASVEIEN 3"),
        ("Bjørnstjerne Bjørnsons gate 7", "Bjornstjerne Bjornsons gt 7"),
    ],
)
def test_normalize_street_makes_spellings_of_one_address_equal(a: str, b: str) -> None:
    assert normalize_street(a) == normalize_street(b)


def test_normalize_address_keys_on_country_postal_code_and_street() -> None:
    a = {"address1": "Storgata 5", "zip": "0150", "city": "Oslo", "country_code": "NO"}
    b = {"address1": "storgt. 5", "zip": "0150", "city": "OSLO SENTRUM", "country_code": "no"}
    assert normalize_address(a) == normalize_address(b) == "no|0150||storgt 5"
    us = {"address1": "1 Infinite Loop", "zip": "95014-2083", "country_code": "US"}
    assert normalize_address(us) == "us|95014||1 infinite loop"
    no_zip = {"address1": "Main St 1", "city": "Tórshavn", "country_code": "FO"}
    assert normalize_address(no_zip) == "fo||torshavn|main st 1"


def test_normalize_address_refuses_an_address_without_a_street() -> None:
    with pytest.raises(Invalid) as err:
        normalize_address({"zip": "0150", "country_code": "NO"}, field="shipping_address")
    assert (err.value.code, err.value.field) == ("invalid_address", "shipping_address")


def test_name_address_key_ignores_name_order_and_case() -> None:
    address = {"address1": "Storgata 5", "zip": "0150", "country_code": "NO"}
    assert name_address_key("Kari Nordmann", address) == name_address_key("NORDMANN, kari", address)
    assert normalize_name("  Kari  Nordmann ") == "kari nordmann"


def test_normalize_payment_fingerprint_reads_card_details_and_gateway_fingerprints() -> None:
    assert normalize_payment_fingerprint("424242-4242-12/27") == "card:424242:4242:1227"
    assert normalize_payment_fingerprint("424242 4242 12 2027") == "card:424242:4242:1227"
    assert normalize_payment_fingerprint("card:424242:4242") == "card:424242:4242"
    assert normalize_payment_fingerprint("Xt5EWLLDS7FJjR1c") == "fp:Xt5EWLLDS7FJjR1c"


def test_normalize_identifier_refuses_an_unknown_type() -> None:
    with pytest.raises(Invalid) as err:
        normalize_identifier("shoe_size", "42")
    assert (err.value.code, err.value.field) == ("invalid_identifier_type", "type")


# --- idempotence ----------------------------------------------------------------------------------

local = st.text(alphabet=st.sampled_from("abcXYZ019.+-_"), min_size=1, max_size=20)
domains = st.sampled_from(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "icloud.com",
        "outlook.com",
        "example.no",
        "ya.ru",
        "xn--mller-kva.com",
        "Müller.de",
    ]
)


@settings(max_examples=300)
@given(local, domains)
def test_normalize_email_is_idempotent(user: str, domain: str) -> None:
    try:
        once = normalize_email(f"{user}@{domain}")
    except Invalid:
        return
    assert normalize_email(once) == once


@settings(max_examples=200)
@given(st.text(min_size=0, max_size=12, alphabet=st.sampled_from("0123456789 +-()")))
def test_normalize_phone_is_idempotent(raw: str) -> None:
    try:
        once = normalize_phone(raw, default_region="NO")
    except Invalid:
        return
    assert normalize_phone(once, default_region="US") == once


words = st.sampled_from(
    [
        "Storgata",
        "gate",
        "veien",
        "Street",
        "St.",
        "Apt",
        "#",
        "unit",
        "H0301",
        "5",
        "B",
        "North",
        "road",
        "Åsveien",
        "leil.",
        "12",
        "-",
        ",",
        "Main",
        "suite",
        "Ø",
    ]
)


@settings(max_examples=400)
@given(
    st.lists(words, min_size=1, max_size=8),
    st.sampled_from(["NO", "US", "", "SE"]),
    st.sampled_from(["0150", "94107-1234", "", " 01 50 "]),
    st.sampled_from(["Oslo", "", "New York"]),
)
def test_normalize_address_is_idempotent(parts: list[str], country: str, zip_: str, city: str) -> None:
    try:
        once = normalize_address(
            {"address1": " ".join(parts), "zip": zip_, "city": city, "country_code": country}
        )
    except Invalid:
        return
    assert normalize_address(once) == once


@given(st.ip_addresses())
def test_normalize_ip_is_idempotent(address: object) -> None:
    once = normalize_ip(str(address))
    assert normalize_ip(once) == once


@given(st.ip_addresses(), st.integers(min_value=0, max_value=128))
def test_normalize_cidr_is_idempotent(address: object, prefix: int) -> None:
    try:
        once = normalize_cidr(f"{address}/{prefix}")
    except Invalid:
        return
    assert normalize_cidr(once) == once


@given(st.text(min_size=1, max_size=30))
def test_normalize_payment_fingerprint_is_idempotent(raw: str) -> None:
    try:
        once = normalize_payment_fingerprint(raw)
    except Invalid:
        return
    assert normalize_payment_fingerprint(once) == once
