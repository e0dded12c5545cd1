"""What a refused request answers, and what it must leave as it found: the rows of every table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.db import Base


def row_counts(session: Session) -> dict[str, int]:
    """Return how many rows each table holds."""
    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


def refusal(answer: Any) -> tuple[int, str, str | None]:
    """Return a problem answer's status, code and the field it names."""
    problem = answer.json()
    return answer.status_code, problem["code"], problem.get("field")
