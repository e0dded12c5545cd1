import pytest

from storeguard.core.errors import Invalid
from storeguard.shops import policy


def test_parse_country_accepts_lower_case_iso_code():
    assert policy.parse_country(" no ") == "NO"


@pytest.mark.parametrize("bad", ["", "NOR", "EU", "ZZ", "001", "X1"])
def test_parse_country_refuses_regions_and_non_codes(bad):
    with pytest.raises(Invalid) as exc:
        policy.parse_country(bad)
    assert (exc.value.code, exc.value.field) == ("invalid_country", "country")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nordlys-Outfitters.myshopify.com", "nordlys-outfitters.myshopify.com"),
        ("https://shop.example.com/", "shop.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_normalize_domain_gives_lower_case_ascii_host(raw, expected):
    assert policy.normalize_domain(raw) == expected


@pytest.mark.parametrize(
    "bad", ["", "localhost", "shop example.com", "-bad.example.com", "a..b", "shop.com/path"]
)
def test_normalize_domain_refuses_what_is_not_a_host_name(bad):
    with pytest.raises(Invalid) as exc:
        policy.normalize_domain(bad)
    assert exc.value.code == "invalid_domain"


def test_parse_platform_refuses_unknown_platform():
    with pytest.raises(Invalid) as exc:
        policy.parse_platform("magento")
    assert (exc.value.code, exc.value.field) == ("invalid_platform", "platform")


def test_clean_tags_drops_blanks_and_case_insensitive_repeats():
    assert policy.clean_tags([" limited ", "", "Limited", "gift"]) == ["limited", "gift"]


def test_clean_options_refuses_an_option_without_values():
    with pytest.raises(Invalid) as exc:
        policy.clean_options({"size": [" "]})
    assert exc.value.code == "invalid_options"
