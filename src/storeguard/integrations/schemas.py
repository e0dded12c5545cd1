"""Wire shapes of the integrations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import InputModel


class WebhookAck(BaseModel):
    """The answer to a webhook: accepted the first time, duplicate after."""

    status: str
    delivery_id: str


class GatewaySecretIn(InputModel):
    secret: str = Field(min_length=1, description="The webhook signing secret (never shown again).")
    webhook_id: str | None = Field(
        default=None, description="PayPal: the webhook's id, part of what is signed."
    )
    notification_url: str | None = Field(default=None, description="Square: the URL Square posts to.")


class ShopSecretsIn(InputModel):
    webhook_secret: str | None = Field(default=None, min_length=1)
    access_token: str | None = Field(default=None, min_length=1)
    api_base_url: str | None = Field(default=None, description="Override of https://{shop}/admin/api.")


class SecretsSetRead(BaseModel):
    """Which secrets were stored; the values are never echoed."""

    owner: str
    stored: list[str]


class OutboxMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: str
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    delivery_id: str
    topic: str
    shop_id: int | None
    status: str
    attempts: int
    error: str | None
    received_at: datetime
    next_attempt_at: datetime
    processed_at: datetime | None
