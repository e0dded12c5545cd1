"""Appeals on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.appeals.enums import AppealCondition, AppealDecision, AppealStatus


class AppealFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class AppealRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    block_id: int
    customer_id: int
    status: AppealStatus
    language: str
    message: str
    submitted_at: datetime
    answer_by: datetime
    overdue: bool = False
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    conditions: dict[str, Any] | None
    override_reason: str | None
    follow_up_block_id: int | None
    attachments: list[AppealFileRead]


class DecideAppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: AppealDecision
    note: str | None = Field(
        default=None, max_length=5000, description="Words for the customer, sent by mail."
    )
    condition: AppealCondition | None = Field(
        default=None, description="With lift_with_conditions: what stays (verify_only or review_only)."
    )
    override_reason: str | None = Field(
        default=None, max_length=2000, description="An owner deciding an appeal against their own block: why."
    )
