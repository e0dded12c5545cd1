"""What an erasure request carries and answers."""

from __future__ import annotations

from typing import Annotated

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


Days = Annotated[int, Field(ge=1, le=36500)]


class RetentionLimits(InputModel):
    """After how many days personal data goes (unset or null: kept)."""

    closed_cases_days: Days | None = Field(
        default=None,
        description="A resolved or closed case loses its messages and the customer's name and email.",
    )
    messages_days: Days | None = Field(
        default=None, description="Any message loses its words and attachments."
    )
    expired_blocks_days: Days | None = Field(
        default=None, description="An expired or lifted block's identifiers are kept only as keyed hashes."
    )


class RetentionRunRequest(InputModel):
    dry_run: bool = Field(default=True, description="Only say what would go (the default).")


class RetentionRun(BaseModel):
    dry_run: bool
    erased: dict[int, dict[str, int]] = Field(
        description="By shop id, then kind: closed_case, message, expired_block_identifier."
    )
    skipped_without_key: int
