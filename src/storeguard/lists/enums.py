"""Kinds, actions, scopes and states of list entries and customer blocks."""

from enum import StrEnum

from storeguard.customers.enums import IdentifierType


class EntryKind(StrEnum):
    block = "block"
    allow = "allow"  # the merchant's escape hatch: wins over a block on the same identifier


class EntryAction(StrEnum):
    """What a block entry asks screening to do with a matching order (strongest first)."""

    block = "block"
    verify = "verify"
    review = "review"


# A hold for a person (review) is stronger than a step the customer can pass (verify).
ACTION_STRENGTH = {EntryAction.block: 3, EntryAction.review: 2, EntryAction.verify: 1}


class EntryStatus(StrEnum):
    active = "active"
    expired = "expired"
    lifted = "lifted"


# Anything an entry can be put on: every identifier type, plus a country, an IP range, a customer.
EntryTarget = StrEnum(
    "EntryTarget",
    {
        **{t.name: t.value for t in IdentifierType},
        "country": "country",
        "cidr": "cidr",
        "customer": "customer",
    },
)


class ScopeKind(StrEnum):
    everything = "everything"
    categories = "categories"
    tags = "tags"
    order_above = "order_above"
    high_value = "high_value"
    limited_edition = "limited_edition"


class BlockStatus(StrEnum):
    active = "active"
    lifted = "lifted"


class MatchVia(StrEnum):
    direct = "direct"  # the order (or its customer's own history) carries the listed identifier
    linked = "linked"  # a customer linked to this one carries it, or is listed


class ListErrorCode(StrEnum):
    entry_not_found = "entry_not_found"
    entry_not_active = "entry_not_active"
    invalid_entry_type = "invalid_entry_type"
    invalid_scope = "invalid_scope"
    invalid_expiry = "invalid_expiry"
    invalid_action = "invalid_action"
    reason_code_required = "reason_code_required"
    unknown_reason_code = "unknown_reason_code"
    reason_code_exists = "reason_code_exists"
    last_reason_code = "last_reason_code"
    reason_code_not_found = "reason_code_not_found"
    evidence_required = "evidence_required"
    evidence_order_not_found = "evidence_order_not_found"
    evidence_case_not_found = "evidence_case_not_found"
    evidence_incident_not_found = "evidence_incident_not_found"
    justification_required = "justification_required"
    customer_already_blocked = "customer_already_blocked"
    customer_not_blocked = "customer_not_blocked"
    lift_reason_required = "lift_reason_required"
    invalid_csv = "invalid_csv"
    block_not_found = "block_not_found"
    description_required = "description_required"
    entry_exists = "entry_exists"
    entry_too_broad = "entry_too_broad"
    invalid_kind = "invalid_kind"
    invalid_language = "invalid_language"
    invalid_reason_code = "invalid_reason_code"
    invalid_customer_id = "invalid_customer_id"
