"""Decisions, reason sources and verification states."""

from enum import StrEnum


class Outcome(StrEnum):
    """What screening decided; ordered weakest to strongest by ``STRENGTH``."""

    allow = "allow"
    verify = "verify"
    review = "review"
    block = "block"

    @property
    def strength(self) -> int:
        return STRENGTH[self]


STRENGTH = {Outcome.allow: 0, Outcome.verify: 1, Outcome.review: 2, Outcome.block: 3}


class ReasonSource(StrEnum):
    """Where a reason comes from."""

    list = "list"  # a block/allow entry on one of the order's own identifiers
    link = "link"  # an entry reached through a linked identity (another account, a shared card)
    rule = "rule"  # a merchant rule
    signal = "signal"  # a weighted risk signal
    velocity = "velocity"  # too many orders per identifier in a window
    segment = "segment"  # the customer's segment
    risk = "risk"  # a finding of the customer's risk assessment
    catalogue = "catalogue"  # what the checkout sent that the catalogue does not know


class VerificationStatus(StrEnum):
    required = "required"
    satisfied = "satisfied"
    failed = "failed"
    waived = "waived"


class ScreeningSource(StrEnum):
    """What triggered a stored decision."""

    order_created = "order_created"  # POST /v1/orders
    integration = "integration"  # an order that already exists on the platform
    rescreen = "rescreen"  # a person asked again
