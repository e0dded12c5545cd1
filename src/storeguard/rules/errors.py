"""Errors a rule can raise at save time, each pointing at the place in the source to fix."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from storeguard.core.errors import Invalid


class RuleErrorCode(StrEnum):
    """Machine codes of the refusals a rule's source can get."""

    rule_syntax_error = "rule_syntax_error"
    unknown_field = "unknown_field"
    unknown_list = "unknown_list"
    unknown_method = "unknown_method"
    type_mismatch = "type_mismatch"
    invalid_pattern = "invalid_pattern"  # a regular expression RE2 does not take
    wrong_list_type = "wrong_list_type"  # a list whose values the operator cannot read (in_range)
    rule_too_large = "rule_too_large"
    name_too_long = "name_too_long"
    named_list_builtin = "named_list_builtin"
    named_list_exists = "named_list_exists"
    named_list_name_invalid = "named_list_name_invalid"
    named_list_not_found = "named_list_not_found"
    named_list_too_large = "named_list_too_large"
    named_list_value_invalid = "named_list_value_invalid"
    policy_version_not_found = "policy_version_not_found"
    priority_out_of_range = "priority_out_of_range"
    rule_not_found = "rule_not_found"
    protected_fact = "protected_fact"
    protected_fact_in_use = "protected_fact_in_use"


def position_of(source: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``offset`` in ``source``."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    start = source.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def caret_excerpt(source: str, offset: int, length: int = 1) -> str:
    """Return the source line holding ``offset`` with carets under the ``length`` characters there."""
    offset = max(0, min(offset, len(source)))
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    end = len(source) if end == -1 else end
    line = source[start:end]
    # Tabs would shift the caret; show them as one space so the caret lines up.
    line = line.replace("\t", " ")
    column = offset - start
    width = max(1, min(length, max(1, len(line) - column)))
    return f"{line}\n{' ' * column}{'^' * width}"


class RuleError(Invalid):
    """A rule that cannot be saved: the code, a message, and where in the source it is."""

    def __init__(
        self,
        code: RuleErrorCode,
        message: str,
        *,
        source: str,
        offset: int,
        length: int = 1,
        **extra: Any,
    ) -> None:
        self.source = source
        self.offset = max(0, min(offset, len(source)))
        self.length = max(1, length)
        self.line, self.column = position_of(source, self.offset)
        self.caret = caret_excerpt(source, self.offset, self.length)
        position = {"line": self.line, "column": self.column, "offset": self.offset}
        super().__init__(code, message, field="source", position=position, caret=self.caret, **extra)

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}\n{self.caret}"


class RuleSyntaxError(RuleError):
    """The text is not a rule: a character, word or bracket is out of place."""

    def __init__(self, message: str, *, source: str, offset: int, length: int = 1, **extra: Any) -> None:
        super().__init__(
            RuleErrorCode.rule_syntax_error, message, source=source, offset=offset, length=length, **extra
        )
