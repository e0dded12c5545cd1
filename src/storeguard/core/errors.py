"""Domain errors and their RFC 9457 problem-details form."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar


class CommonError(StrEnum):
    """Refusals shared by every package (each domain has its own enum for the rest)."""

    shop_not_found = "shop_not_found"  # 404 wherever a shop is named, in a path or a body
    validation_failed = "validation_failed"
    role_too_weak = "role_too_weak"
    missing_api_key = "missing_api_key"
    invalid_api_key = "invalid_api_key"
    api_key_not_found = "api_key_not_found"
    invalid_role = "invalid_role"
    name_required = "name_required"
    invalid_amount = "invalid_amount"
    invalid_currency = "invalid_currency"
    invalid_country = "invalid_country"
    note_required = "note_required"  # a note or justification that is blank
    integer_out_of_range = "integer_out_of_range"
    nul_character = "nul_character"
    too_deeply_nested = "too_deeply_nested"
    outbox_message_not_found = "outbox_message_not_found"
    body_too_large = "body_too_large"
    internal_error = "internal_error"
    write_conflict = "write_conflict"  # the database chose another writer; send again
    # What the HTTP layer itself refuses, before any route runs.
    not_found = "not_found"  # no route at this path
    method_not_allowed = "method_not_allowed"
    unauthorized = "unauthorized"
    http_error = "http_error"


class DomainError(Exception):
    """A refusal with a machine code; the entry point turns it into a 4xx answer."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, code: StrEnum, message: str, *, field: str | None = None, **extra: Any) -> None:
        # A code is a member of its domain's enum (or CommonError), never a loose string: one
        # refusal has one name wherever it is raised.
        if not isinstance(code, StrEnum):
            raise TypeError(f"refusal code {code!r} is not a member of an error-code enum")
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.field = field
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """Return the problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"https://storeguard.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if self.field is not None:
            body["field"] = self.field
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class Invalid(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


E = TypeVar("E", bound=StrEnum)


def parse_choice(kind: type[E], value: object, *, code: StrEnum, field: str, what: str) -> E:
    """Read ``value`` as one of ``kind``'s members, or refuse naming every choice there is."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise Invalid(code, f"{value!r} is not {what} ({choices})", field=field) from None
