"""What a refused request must leave as it found: the number of rows in every table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.db import Base


def row_counts(session: Session) -> dict[str, int]:
    """Return how many rows each table holds."""
    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }
