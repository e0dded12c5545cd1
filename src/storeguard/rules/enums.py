"""Enumerations of the rules domain."""

from enum import StrEnum


class RuleAction(StrEnum):
    """What a rule asks screening to do with an order it fires on."""

    block = "block"
    review = "review"
    verify = "verify"
    allow = "allow"


class RulesErrorCode(StrEnum):
    """Refusals of rule and named-list changes (syntax and type errors are in errors.RuleErrorCode)."""

    rule_not_found = "rule_not_found"
    shop_not_found = "shop_not_found"
    name_required = "name_required"
    name_too_long = "name_too_long"
    priority_out_of_range = "priority_out_of_range"
    named_list_not_found = "named_list_not_found"
    named_list_exists = "named_list_exists"
    named_list_name_invalid = "named_list_name_invalid"
    named_list_builtin = "named_list_builtin"
    named_list_too_large = "named_list_too_large"
    named_list_value_invalid = "named_list_value_invalid"
