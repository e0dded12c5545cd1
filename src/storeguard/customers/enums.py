"""Customer account states and the kinds of identifier a customer leaves behind."""

from enum import StrEnum


class AccountState(StrEnum):
    """Whether storeguard lets the account buy: only a block that disables the account sets disabled."""

    enabled = "enabled"
    disabled = "disabled"


class PlatformAccountState(StrEnum):
    """The account's state on the shop platform, as Shopify reports it; a fact, never a decision.

    ``disabled`` is Shopify's default for a buyer who never made an online account (most guests).
    """

    enabled = "enabled"
    disabled = "disabled"
    invited = "invited"
    declined = "declined"


class IdentifierType(StrEnum):
    """A kind of identifier stored per customer and indexed by (type, normalized value)."""

    email = "email"
    email_domain = "email_domain"
    phone = "phone"
    shipping_address = "shipping_address"
    billing_address = "billing_address"
    ip = "ip"
    device_id = "device_id"
    # The gateway's fingerprint of a card, or its BIN, last four digits and expiry together.
    payment_fingerprint = "payment_fingerprint"
    platform_id = "platform_id"
    # The customer's name is only ever used together with an address, never on its own.
    name_address = "name_address"
    # A card's BIN and last four digits without its expiry: thousands of cards share them.
    card_number = "card_number"
    # An IP address together with the browser's user agent: one browser, or one office's browsers.
    ip_user_agent = "ip_user_agent"


class LinkStrength(StrEnum):
    """How surely two customers who share an identifier are one person.

    A strong link joins them into one cluster (a block on one reaches the other); a weak link only
    shows them as a possible match.
    """

    strong = "strong"
    weak = "weak"


# What links two customers unless the merchant says otherwise: identifiers that belong to one
# person. Addresses alone (flatmates, parcel forwarders), IPs (carrier NAT) and email domains
# (everyone at gmail.com) are shared by strangers, so they never link by default.
DEFAULT_LINK_TYPES: tuple[IdentifierType, ...] = (
    IdentifierType.email,
    IdentifierType.phone,
    IdentifierType.device_id,
    IdentifierType.payment_fingerprint,
    IdentifierType.platform_id,
    IdentifierType.name_address,
)

# What ``block_customer`` blocks by default: the customer's own identifiers. An email domain or an
# IP address is shared with strangers, so blocking one is a separate, explicit choice.
PERSONAL_TYPES: tuple[IdentifierType, ...] = (
    IdentifierType.email,
    IdentifierType.phone,
    IdentifierType.shipping_address,
    IdentifierType.billing_address,
    IdentifierType.device_id,
    IdentifierType.payment_fingerprint,
    IdentifierType.platform_id,
    IdentifierType.name_address,
)


class IdentifierSource(StrEnum):
    order = "order"
    customer = "customer"  # the customer record's own email, phone or platform id
    manual = "manual"  # added by a person through the API or CLI


class CustomerErrorCode(StrEnum):
    customer_not_found = "customer_not_found"
    invalid_email = "invalid_email"
    invalid_phone = "invalid_phone"
    invalid_ip = "invalid_ip"
    invalid_cidr = "invalid_cidr"
    invalid_address = "invalid_address"
    invalid_identifier = "invalid_identifier"
    invalid_identifier_type = "invalid_identifier_type"
    invalid_link_types = "invalid_link_types"
    weak_link_type = "weak_link_type"
    unknown_filter_value = "unknown_filter_value"  # a list filter given a value it does not take
