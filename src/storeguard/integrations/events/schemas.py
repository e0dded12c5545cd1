"""Event subscriptions and deliveries on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel


class DeliveryState(StrEnum):
    pending = "pending"  # queued, or waiting for its next try
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # every try failed; a person can replay it


class SubscriptionIn(InputModel):
    shop_id: Id | None = Field(None, description="The shop (may be left out when there is only one).")
    url: str = Field(max_length=2000, description="An http:// or https:// address that takes POSTs.")
    events: list[str] = Field(max_length=50, description="Event names, e.g. customer.blocked.")
    description: str | None = Field(None, max_length=200)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    url: str
    events: list[str]
    description: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="Signs every delivery; shown only now, keep it safe.")


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: int
    subscription_id: int
    event_id: str
    event: str
    state: DeliveryState
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    body: dict[str, Any]
    attempts: list[AttemptRead]
