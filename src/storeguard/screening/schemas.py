"""Screening shapes on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from storeguard.core.schemas import Id, InputModel
from storeguard.orders.schemas import (
    LINE_PROPERTIES_DESCRIPTION,
    CheckoutIn,
    LineProperties,
    MinorUnits,
    ProductRef,
)
from storeguard.screening.enums import VerificationStatus


class ScreenLineIn(ProductRef):
    """A proposed line; a product the catalogue does not know is screened as the line describes it."""

    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=100_000)
    unit_price: MinorUnits | None = Field(
        default=None, description="Minor units; the catalogue price if left out."
    )
    title: str | None = None
    variant: dict[str, str] = Field(default_factory=dict, examples=[{"size": "M", "color": "red"}])
    properties: LineProperties = Field(
        default_factory=list,
        description=LINE_PROPERTIES_DESCRIPTION,
        examples=[[{"name": "Engraving", "value": "K + O"}]],
    )


class ScreenOrderIn(InputModel):
    """A prospective order at checkout, in the shape of ``POST /v1/orders``; nothing is stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "shop_id": 1,
                    "email": "kari@example.com",
                    "phone": "+4791234567",
                    "browser_ip": "81.0.12.1",
                    "shipping_address": {
                        "address1": "Storgata 1",
                        "city": "Oslo",
                        "zip": "0155",
                        "country_code": "NO",
                    },
                    "card_bin": "411111",
                    "card_last4": "1111",
                    "lines": [{"sku": "LE-SNEAKER", "quantity": 1}],
                }
            ]
        },
    )

    shop_id: Id
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="The shop's currency if left out."
    )
    customer_id: Id | None = None
    platform_customer_id: str | None = Field(default=None, max_length=64)
    lines: list[ScreenLineIn] = Field(min_length=1)
    shipping: MinorUnits = 0
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    browser_ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=500, description="The buyer's browser.")
    device_id: str | None = Field(default=None, max_length=128)
    payment_fingerprint: str | None = Field(
        default=None, max_length=128, description="The gateway's card fingerprint."
    )
    card_bin: str | None = Field(default=None, pattern=r"^\d{6,8}$")
    card_last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    card_expiry: str | None = Field(
        default=None,
        pattern=r"^(0[1-9]|1[0-2])/\d{2}$",
        description="MM/YY. Without it a card's BIN and last four only make a possible match.",
    )
    discount: MinorUnits = Field(default=0, description="Order-level discount, minor units.")
    checkout: CheckoutIn | None = Field(
        default=None,
        description="Card checks, discount codes, shipping method, browser and buyer, for rules.",
    )
    source: str = Field(default="web", max_length=20)


class ReasonRead(BaseModel):
    code: str
    message: str
    source: str
    action: str | None
    weight: int
    ref: dict[str, Any] | None
    decisive: bool
    path: list[dict[str, Any]] | None = None
    lines: list[dict[str, Any]] | None = None
    identifiers: list[str] | None = Field(
        default=None, description="The identifiers one cause matched, as the customer wrote them."
    )


class DecisionRead(BaseModel):
    """A decision: what to do, how risky, why, which lines, under which policy, how fast."""

    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    order_id: int | None = None
    shop_id: int
    decision: str
    score: int
    reasons: list[ReasonRead]
    restricted_lines: list[dict[str, Any]]
    policy_version: int
    settings_revision: int = 0
    duration_us: int
    verification: dict[str, Any] | None = None
    created_at: datetime | None = None


def decision_json(answer: dict[str, Any]) -> bytes:
    """Write a fresh decision (``ScreenResult.as_dict``) as ``DecisionRead`` JSON, without validating it.

    The checkout answer is built by storeguard itself, so running it through the model again only
    cost time; a test holds this equal to ``DecisionRead.model_validate(answer).model_dump_json()``.
    """
    reasons = [
        {**r, "path": r.get("path"), "lines": r.get("lines"), "identifiers": r.get("identifiers")}
        for r in answer["reasons"]
    ]
    return orjson.dumps({"id": None, **answer, "reasons": reasons, "created_at": None})


class ReviewNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    author: str
    body: str
    created_at: datetime


class ReviewRead(BaseModel):
    """A held order waiting for a person, with how long it has waited and why it is held."""

    order_id: int
    number: str
    shop_id: int
    customer_id: int | None
    total: int = Field(description="Minor units of ``currency``.")
    currency: str
    held_since: datetime
    age_seconds: int
    hold_reason: str | None
    decision: DecisionRead | None
    notes: list[ReviewNoteRead] = Field(default_factory=list)


class ApproveReviewIn(InputModel):
    note: str | None = None


class CancelReviewIn(InputModel):
    refund: bool | None = Field(
        default=None, description="Refund what was paid; the shop's policy when left out."
    )
    restock: bool | None = Field(
        default=None, description="Put the items back; the shop's policy when left out."
    )
    note: str | None = None


class AddReviewNoteIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)


class ScreeningSettingsRead(BaseModel):
    shop_id: int
    revision: int
    currency: str = Field(description="The shop's currency: money settings are integer minor units of it.")
    settings: dict[str, Any]


class ScreeningSettingsUpdate(InputModel):
    """Parts of the screening policy to change; anything left out keeps its value."""

    settings: dict[str, Any]


class BacktestIn(InputModel):
    shop_id: Id
    rule: str | None = Field(default=None, description="One draft rule in the rule language.")
    rules: list[str] | None = Field(default=None, description="A draft rule set, evaluated together.")
    date_from: datetime = Field(alias="from")
    date_to: datetime = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _needs_rules(self) -> BacktestIn:
        if not self.rule and not self.rules:
            raise ValueError("give a rule or rules")
        return self


class BacktestRunRead(BaseModel):
    """A backtest running in the background: how many of the range's orders it has read, then its answer."""

    id: int
    status: str = Field(description="running, finished or failed")
    done: int = Field(description="Orders read so far.")
    total: int = Field(description="Orders in the range.")
    result: dict[str, Any] | None = Field(
        description="The answer, as POST /v1/rules/backtest gives it, once finished."
    )
    error: str | None = Field(description="Why it failed, when it did.")


class ResolveVerificationIn(InputModel):
    """What became of a verification step: satisfied, failed or waived."""

    status: VerificationStatus


class VerificationRead(BaseModel):
    id: int
    order_id: Id
    method: str
    satisfied_by: str
    status: str

    model_config = {"from_attributes": True}
