"""What storeguard holds about a person, gathered from every domain without core knowing any.

A domain registers a part of a customer's export (``add_export_part("orders", fn)``): a function of
(session, customer) that returns what that domain holds about them, as JSON-ready data. The export
asks every part, in the order registered. A new domain (cases, appeals, notifications) adds its
part from its own package; nothing here changes.

Erasure is registered the same way (``add_erasure_part``): a function of (session, ``Erasure``)
that removes or replaces what the domain holds about the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import Session

from storeguard.core.audit import longest_first, scrub
from storeguard.core.pseudonyms import PREFIX, keyed_hash

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


# --- erasure -------------------------------------------------------------------------------------

# Shorter strings (a country code, an initial) would erase other words than the person's.
_SHORTEST_WORD = 3


@dataclass(slots=True)
class Erasure:
    """One customer's erasure as the parts carry it out: the key, and what each part found.

    A part removes or replaces what its domain holds about the customer, notes the personal values
    it removed (``forget``) so that later parts and the audit log can erase them from free text,
    names the audit subjects about the person (``about``), and says what it changed (``counts``).
    """

    customer: Any
    key: bytes
    at: datetime
    words: set[str] = field(default_factory=set)
    subjects: set[tuple[str, str]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    # Files to remove once the erasure is committed (attachments, photos).
    files: list[Path] = field(default_factory=list)

    def hash(self, identifier_type: str, value: str) -> str:
        """Return the keyed hash a block keeps of an identifier (its normalized value)."""
        return value if value.startswith(PREFIX) else keyed_hash(self.key, identifier_type, value)

    def forget(self, *values: Any) -> None:
        """Note personal values being removed (text, or JSON-like data such as an address)."""
        for value in values:
            if isinstance(value, str):
                if len(value.strip()) >= _SHORTEST_WORD and not value.startswith(PREFIX):
                    self.words.add(value.strip())
            elif isinstance(value, dict):
                self.forget(*value.values())
            elif isinstance(value, list | tuple | set):
                self.forget(*value)

    def scrub(self, value: Any) -> Any:
        """Return text or JSON-like data with the values forgotten so far replaced."""
        return scrub(value, longest_first(self.words))

    def about(self, subject_type: str, *ids: int | str) -> None:
        """Name audit subjects about the person: their events are redacted of the forgotten values."""
        self.subjects.update((subject_type, str(i)) for i in ids)


ErasurePart = Callable[[Session, Erasure], int]
_ERASURE_PARTS: dict[str, ErasurePart] = {}


def add_erasure_part(name: str, part: ErasurePart) -> None:
    """Register how a domain erases a customer's data (returns the rows it changed or removed)."""
    _ERASURE_PARTS[name] = part


def erasure_parts() -> dict[str, ErasurePart]:
    return dict(_ERASURE_PARTS)
