"""What a gateway reports about a dispute, in storeguard's words (each gateway maps onto this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
