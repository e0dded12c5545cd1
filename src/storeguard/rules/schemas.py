"""Shapes of rules, versions, facts and named lists on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel
from storeguard.rules.parser import MAX_SOURCE_CHARS
from storeguard.rules.policy import MAX_LIST_VALUES


class RuleCreate(InputModel):
    name: str = Field(max_length=200, examples=["Large first orders"])
    source: str = Field(
        max_length=MAX_SOURCE_CHARS * 2,  # the compiler gives the precise, positioned refusal
        examples=["review if order.total > 500 and customer.orders_count == 0"],
    )
    shop_id: Id | None = Field(default=None, description="The shop the rule is for; empty for every shop.")
    priority: int = Field(default=100, description="Lower numbers are evaluated first.")
    enabled: bool = True


class RuleUpdate(InputModel):
    name: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=MAX_SOURCE_CHARS * 2)
    priority: int | None = None
    enabled: bool | None = None
    reason: str | None = Field(default=None, max_length=1000)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int | None
    name: str
    source: str
    action: str
    enabled: bool
    priority: int
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class RuleVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule_id: int
    version: int
    source: str
    action: str
    created_at: datetime
    created_by: str


class ValidateRuleIn(InputModel):
    source: str = Field(max_length=MAX_SOURCE_CHARS * 2)
    shop_id: Id | None = Field(default=None, description="Check @lists as this shop sees them.")


class ValidateRuleOut(BaseModel):
    ok: bool
    action: str
    fields_used: list[str]
    lists_used: list[str]
    canonical: str = Field(description="The rule written the canonical way (same meaning).")


class FactRead(BaseModel):
    name: str
    type: str
    description: str
    nullable: bool


class NamedListCreate(InputModel):
    name: str = Field(max_length=65, examples=["high_risk_countries"])
    description: str = Field(default="", max_length=1000)
    values: list[str] = Field(default_factory=list, max_length=MAX_LIST_VALUES * 2)
    shop_id: Id | None = None


class NamedListUpdate(InputModel):
    description: str | None = Field(default=None, max_length=1000)
    values: list[str] | None = Field(default=None, max_length=MAX_LIST_VALUES * 2)
    reason: str | None = Field(default=None, max_length=1000)


class NamedListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int | None
    name: str
    description: str
    values: list[str]
    revision: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class BuiltinListRead(BaseModel):
    name: str
    description: str
    value_count: int


class ProtectedFactsIn(InputModel):
    shop_id: Id | None = Field(None, description="The shop; may be left out when there is only one.")
    facts: list[str] = Field(max_length=200, examples=[["customer.account_age_days"]])
    reason: str | None = Field(None, max_length=2000)


class ProtectedFactsRead(BaseModel):
    shop_id: int
    facts: list[str]
