"""What an erasure request carries and answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from storeguard.core.schemas import InputModel


class ErasureRequest(InputModel):
    reason: str = Field(
        min_length=1, max_length=2000, description="Why: the person's request, its date or reference."
    )


class ErasureRead(BaseModel):
    customer_id: int
    erased: dict[str, int] = Field(
        description="Rows changed or removed, by part (customer, orders, identifiers, ...)."
    )
    redacted_audit_events: int = Field(description="Audit events the erased values were removed from.")
