"""The cheap dotted-quad path of normalize_ip answers exactly as the ipaddress module does."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from storeguard.core.errors import Invalid
from storeguard.customers.normalize import _IPV4_CANONICAL, normalize_ip

octet = st.one_of(
    st.integers(min_value=0, max_value=300).map(str),
    st.from_regex(r"0[0-9]{1,2}", fullmatch=True),  # leading zeros: refused by ipaddress
)
quads = st.lists(octet, min_size=3, max_size=5).map(".".join)


def _reference(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.compressed


@settings(max_examples=2000)
@given(quads)
def test_ipv4_fast_path_matches_the_ipaddress_module(text: str) -> None:
    try:
        got: str | None = normalize_ip(text)
    except Invalid:
        got = None
    assert got == _reference(text)


@settings(max_examples=500)
@given(st.ip_addresses(v=4).map(str))
def test_every_canonical_ipv4_address_takes_the_fast_path(text: str) -> None:
    assert _IPV4_CANONICAL.fullmatch(text)
    assert normalize_ip(text) == text
