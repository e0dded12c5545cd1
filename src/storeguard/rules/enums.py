"""Enumerations of the rules domain."""

from enum import StrEnum


class RuleAction(StrEnum):
    """What a rule asks screening to do with an order it fires on."""

    block = "block"
    review = "review"
    verify = "verify"
    allow = "allow"
