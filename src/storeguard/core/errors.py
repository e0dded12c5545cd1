"""Domain errors and their RFC 9457 problem-details form."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a machine code; the entry point turns it into a 4xx answer."""

    status: int = 400
    title: str = "Bad request"

    def __init__(self, code: str, message: str, *, field: str | None = None, **extra: Any) -> None:
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
