"""Why a data-protection request is refused."""

from enum import StrEnum


class PrivacyError(StrEnum):
    legal_hold = "legal_hold"  # a case holds the customer's records: nothing of theirs may be erased
    erasure_key_not_set = "erasure_key_not_set"  # no key to hash what a block still needs
    already_erased = "already_erased"
    invalid_retention = "invalid_retention"
