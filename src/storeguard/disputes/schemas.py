"""What a gateway reports about a dispute, in storeguard's words (each gateway maps onto this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import DB_INT_MAX, InputModel, Moment


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
    fee: int = Field(description="The gateway's dispute fee, minor units.")
    amount_lost: int | None = Field(
        description="What the merchant lost when the dispute ended lost, minor units."
    )
    evidence_submitted_at: datetime | None
    evidence_used: list[str] = Field(description="The evidence items sent (for the win rate by evidence).")
    escalation: str | None = Field(
        description="mediation or arbitration, when the dispute is marked for one."
    )
    escalation_note: str | None
    escalated_at: datetime | None
    escalation_suggested: bool = Field(
        description="The amount is at or above the shop's dispute_escalation_threshold and the dispute "
        "can still be taken further."
    )
    events: list[DisputeEventRead] = []
    notes: list[DisputeNoteRead] = []


class AcceptDisputeIn(InputModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the dispute is not contested.")


class EnterDisputeIn(InputModel):
    """A dispute the merchant learned of outside any webhook: a bank's letter, a gateway not wired."""

    order_id: int = Field(ge=1, le=DB_INT_MAX)
    amount: int = Field(gt=0, le=DB_INT_MAX, description="Disputed amount, minor units.")
    currency: str = Field(min_length=3, max_length=3)
    reason: str = Field(
        description="fraud, not_received, not_as_described, duplicate, credit_not_processed, subscription or other"
    )
    evidence_due_at: Moment | None = Field(
        default=None, description="When the answer is due (with its time zone)."
    )
    gateway: str = Field(default="manual", description="stripe, square, paypal, shopify_payments or manual")
    gateway_dispute_id: str | None = Field(
        default=None, max_length=128, description="The gateway's or bank's reference."
    )
    note: str | None = Field(default=None, max_length=2000)


class EscalateDisputeIn(InputModel):
    kind: str = Field(description="mediation or arbitration")
    note: str | None = Field(default=None, max_length=2000, description="Why; kept with the dispute.")


class ContestDisputeIn(InputModel):
    note: str | None = Field(default=None, max_length=2000)


class DisputeNoteIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)


class DisputeOutcomeIn(InputModel):
    outcome: str = Field(description="won or lost")
    at: datetime | None = None


class DisputeUpdate(InputModel):
    fee: int | None = Field(default=None, ge=0, le=DB_INT_MAX, description="The gateway's fee, minor units.")
    amount_lost: int | None = Field(default=None, ge=0, le=DB_INT_MAX, description="Minor units.")


class EvidenceEditIn(InputModel):
    letter: str | None = Field(
        default=None, max_length=20_000, description="The letter as sent; blank for the template's."
    )
    language: str | None = Field(default=None, max_length=10, description="en, nb, he or zh")
    excluded: list[str] | None = Field(default=None, max_length=20, description="Evidence items left out.")
    extra_text: str | None = Field(default=None, max_length=20_000)


class LetterTemplateIn(InputModel):
    body: str = Field(
        min_length=1, max_length=20_000, description="Facts in braces: {order_number}, {tracking_number}, …"
    )


class DisputeFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    author: str
    created_at: datetime


class PriorOrderRead(BaseModel):
    order_id: int
    number: str
    placed_at: datetime
    total: str
    disputed: bool
    shared: list[str]
    compelling: bool


class EvidencePackRead(BaseModel):
    dispute_id: int
    gateway: str
    reason: str
    language: str
    letter: str
    letter_edited: bool
    items: list[str] = Field(description="The evidence items in the pack, in index order.")
    excluded: list[str]
    order: dict[str, Any] | None
    lines: list[dict[str, Any]]
    customer: dict[str, Any]
    purchase: dict[str, Any]
    fulfilments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    communication: list[dict[str, Any]]
    policies: list[dict[str, Any]]
    prior_orders: list[PriorOrderRead]
    compelling_evidence_3: list[PriorOrderRead]
    files: list[dict[str, Any]]
    extra_text: str | None
    gateway_fields: dict[str, Any] = Field(
        description="The gateway's own evidence fields, as they would be sent."
    )
    over_limits: list[str] = Field(
        description="Each gateway limit the fields break; empty when they can be sent."
    )


class EvidenceFileForm(BaseModel):
    """The multipart form of an evidence file: one part named ``file``, nothing else."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile
