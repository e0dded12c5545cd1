"""What the returns API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel
from storeguard.returns.enums import Condition, ReturnReason, ReturnStatus


class ReturnLineIn(InputModel):
    line_item_id: Id
    quantity: int = Field(ge=1, le=100_000)
    reason: ReturnReason | None = Field(
        default=None, description="This line's own reason; the return's when left out."
    )


class ReturnCreate(InputModel):
    order_id: Id
    reason: ReturnReason
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000, description="What the customer said.")
    late: bool = Field(
        default=False,
        description="Accept it after the return window (only where the policy allows late returns).",
    )


class DecisionIn(InputModel):
    note: str | None = Field(default=None, max_length=2000)


class AuthorizeIn(DecisionIn):
    notify_customer: bool = Field(
        default=False, description="Tell the customer by mail, the note as instructions."
    )


class ReasonIn(InputModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why: the customer is told.")


class InspectionLineIn(InputModel):
    return_line_id: Id
    condition: Condition


class InspectionIn(InputModel):
    lines: list[InspectionLineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=2000)


class RefundReturnIn(InputModel):
    shipping: int = Field(
        default=0, ge=0, le=10**12, description="Return shipping to refund too, minor units."
    )
    notify_customer: bool = False


class ReturnLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    line_item_id: int
    quantity: int
    reason: ReturnReason
    condition: Condition | None
    restock: bool
    fee: int


class ReturnPhotoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    content_type: str
    width: int
    height: int
    size: int
    uploaded_by: str
    uploaded_at: datetime


class ReturnRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    order_id: int
    customer_id: int | None
    platform_id: str | None
    status: ReturnStatus
    reason: ReturnReason
    customer_note: str | None
    decision_note: str | None
    inspection_note: str | None
    currency: str
    fee: int
    refunded: int
    refund_id: int | None
    requested_at: datetime
    authorized_at: datetime | None
    received_at: datetime | None
    inspected_at: datetime | None
    closed_at: datetime | None
    lines: list[ReturnLineRead]
    photos: list[ReturnPhotoRead]


class ReturnFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ReturnStatus | None = None
    order_id: Id | None = None
    customer_id: Id | None = None


class ReturnPolicyRead(BaseModel):
    shop_id: int
    revision: int
    policy: dict[str, Any]


class ReturnPolicyIn(InputModel):
    shop_id: Id | None = None
    changes: dict[str, Any] = Field(
        description="Parts of the policy to change: window_days, category_windows, fees, …"
    )
