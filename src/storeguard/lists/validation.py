"""Reading merchant input that many list actions share."""

from __future__ import annotations

from typing import Any

from storeguard.core.errors import Invalid
from storeguard.lists.enums import EntryAction, ListErrorCode


def parse_action(action: Any) -> EntryAction:
    """Return the entry action named, or a 422 that names the field and the value."""
    try:
        return EntryAction(action)
    except ValueError:
        raise Invalid(
            ListErrorCode.invalid_action,
            f"{action!r} is not block, verify or review",
            field="action",
            value=str(action),
        ) from None
