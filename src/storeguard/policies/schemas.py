"""Policy versions on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel
from storeguard.policies.enums import PolicyKind


class PolicyVersionCreate(InputModel):
    shop_id: Id
    kind: PolicyKind = Field(description="refund, return or cancellation")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000, description="The policy text as customers read it.")
    language: str = Field(default="en", min_length=2, max_length=10)
    effective_from: datetime | None = Field(
        default=None,
        description="When this version takes effect (now when left out); never before the last one.",
    )


class PolicyVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    kind: str
    version: int
    title: str
    body: str
    language: str
    effective_from: datetime
    created_by: str
    created_at: datetime
