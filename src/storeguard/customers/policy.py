"""Pure rules about customers' identifiers: how strongly a shared identifier links two customers."""

from __future__ import annotations

from storeguard.customers.enums import IdentifierType, LinkStrength

T = IdentifierType

# What belongs to one person: sharing one makes two customers one cluster.
STRONG_TYPES: frozenset[str] = frozenset(
    {T.email, T.phone, T.platform_id, T.device_id, T.payment_fingerprint, T.name_address}
)
# What strangers share now and then: a card's BIN and last four without the expiry, an address under
# another name (flatmates, parcel lockers), one IP with one user agent (an office), one IP (a carrier).
WEAK_TYPES: frozenset[str] = frozenset(
    {T.card_number, T.shipping_address, T.billing_address, T.ip_user_agent, T.ip}
)


def link_strength(kind: str) -> LinkStrength | None:
    """Say how strongly sharing an identifier of this type links two customers; None if it never links."""
    if kind in STRONG_TYPES:
        return LinkStrength.strong
    if kind in WEAK_TYPES:
        return LinkStrength.weak
    return None  # an email domain (everyone at gmail.com), a country, an IP range


def strong_only(kinds: tuple[IdentifierType, ...]) -> tuple[IdentifierType, ...]:
    """Keep the types that may join customers into one cluster, whatever else a setting names."""
    return tuple(k for k in kinds if k in STRONG_TYPES)


def weakest_link(strengths: list[LinkStrength]) -> LinkStrength:
    """Return the strength of a path: as weak as its weakest hop."""
    return LinkStrength.weak if LinkStrength.weak in strengths else LinkStrength.strong


def card_type(fingerprint: str) -> IdentifierType:
    """Say which type a normalized card fingerprint is: BIN and last four alone are a card number.

    ``card:BIN:LAST4`` names thousands of cards; with the expiry (``card:BIN:LAST4:MMYY``) or as the
    gateway's own fingerprint (``fp:...``) it names one card.
    """
    if fingerprint.startswith("card:") and fingerprint.count(":") == 2:
        return T.card_number
    return T.payment_fingerprint
