"""What a gateway reports about a dispute, in storeguard's words (each gateway maps onto this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import InputModel


@dataclass(slots=True)
class DisputeReport:
    """One gateway's word on a dispute: its state now, the money, the reason and the deadline."""

    gateway: str
    gateway_dispute_id: str
    amount: int
    currency: str
    status: str
    gateway_status: str | None
    reason: str
    gateway_reason: str | None
    evidence_due_at: datetime | None = None
    opened_at: datetime | None = None
    charge_reference: str | None = None
    payment_reference: str | None = None
    order_platform_id: str | None = None  # Shopify order id, or an order id from metadata
    funds_withdrawn: bool | None = None
    funds_reinstated: bool | None = None


class DisputeNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    body: str
    author: str
    created_at: datetime


class DisputeEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str | None
    occurred_at: datetime | None


class DisputeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    gateway: str
    gateway_dispute_id: str
    shop_id: int | None
    order_id: int | None
    customer_id: int | None
    amount: int
    currency: str
    status: str
    gateway_status: str | None
    reason: str = Field(description="The gateway's reason, in Stripe's words.")
    normalized_reason: str = Field(description="fraud, not_received, not_as_described, duplicate, …, other")
    gateway_reason: str | None
    evidence_due_at: datetime | None
    overdue: bool
    response: str | None
    response_note: str | None
    responded_at: datetime | None
    outcome_at: datetime | None
    opened_at: datetime | None
    events: list[DisputeEventRead] = []
    notes: list[DisputeNoteRead] = []


class AcceptDisputeIn(InputModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the dispute is not contested.")


class ContestDisputeIn(InputModel):
    note: str | None = Field(default=None, max_length=2000)


class DisputeNoteIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)


class DisputeOutcomeIn(InputModel):
    outcome: str = Field(description="won or lost")
    at: datetime | None = None
