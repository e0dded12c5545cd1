"""What storeguard holds about a person, gathered from every domain without core knowing any.

A domain registers a part of a customer's export (``add_export_part("orders", fn)``): a function of
(session, customer) that returns what that domain holds about them, as JSON-ready data. The export
asks every part, in the order registered. A new domain (cases, appeals, notifications) adds its
part from its own package; nothing here changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import Session

ExportPart = Callable[[Session, Any], Any]
_EXPORT_PARTS: dict[str, ExportPart] = {}


def add_export_part(name: str, part: ExportPart) -> None:
    """Register what a domain holds about a customer (again under a name: replaced)."""
    _EXPORT_PARTS[name] = part


def export_parts() -> dict[str, ExportPart]:
    return dict(_EXPORT_PARTS)


def row_data(row: Any) -> dict[str, Any]:
    """Every column of a row, as stored: an export leaves nothing held out."""
    return jsonable_encoder({c.key: getattr(row, c.key) for c in row.__table__.columns})
