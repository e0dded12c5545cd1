"""Which policy a document is, and why one is refused."""

from enum import StrEnum


class PolicyKind(StrEnum):
    refund = "refund"
    returns = "return"
    cancellation = "cancellation"


class PolicyError(StrEnum):
    policy_not_found = "policy_not_found"
    policy_text_required = "policy_text_required"
    effective_before_previous = "effective_before_previous"
