"""List, block and match shapes on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel, Moment


class Evidence(InputModel):
    order_ids: list[Id] = Field(default_factory=list)
    case_ids: list[Id] = Field(default_factory=list)
    incident_ids: list[Id] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class EntryCreate(InputModel):
    shop_id: Id | None = Field(default=None, description="optional when there is one shop")
    kind: str = "block"
    type: str = Field(description="an identifier type, or country, cidr, customer")
    value: str | int | dict[str, Any]
    action: str | None = "block"
    reason_code: str | None = None
    scope: dict[str, Any] | None = Field(default=None, description='{"kind": "everything"} by default')
    evidence: Evidence = Field(default_factory=Evidence)
    note: str | None = None
    justification: str | None = None
    expires_at: Moment | None = None
    confirm_broad: bool = Field(
        default=False,
        description="Say yes to an entry that would match a large part of the customers (a network "
        "wider than /16, /32 for IPv6; a country the shop sells to; a mailbox provider such as "
        "gmail.com); without it such an entry is refused (422 entry_too_broad).",
    )


class EntryUpdate(InputModel):
    action: str | None = None
    scope: dict[str, Any] | None = None
    reason_code: str | None = None
    add_evidence: Evidence | None = None
    note: str | None = None
    expires_at: Moment | None = None
    clear_expiry: bool = False


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    kind: str
    type: str
    value: str
    display: str
    customer_id: int | None
    block_id: int | None
    scope: dict[str, Any]
    action: str | None
    reason_code: str
    evidence: dict[str, Any]
    note: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    status: str
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    created: bool | None = Field(default=None, description="false when an identical active entry came back")


class KeyIn(InputModel):
    type: str
    value: str | dict[str, Any]


class LineIn(InputModel):
    category: str = ""
    tags: list[str] = Field(default_factory=list)
    unit_price: int = 0
    quantity: int = 1
    high_value: bool = False
    limited_edition: bool = False
    product_id: Id | None = None
    sku: str = ""


class MatchIn(InputModel):
    shop_id: Id | None = None
    identifiers: list[KeyIn] = Field(
        default_factory=list,
        max_length=100,
        description="raw values, normalized here; at most 100 (an order carries about a dozen)",
    )
    order: dict[str, Any] | None = Field(
        default=None, description="an order-like object (email, phone, addresses...)"
    )
    customer_id: Id | None = None
    lines: list[LineIn] | None = None
    order_total: int | None = None


class KeyRead(BaseModel):
    type: str
    value: str


class MatchRead(BaseModel):
    entry_id: int
    kind: str
    type: str
    value: str
    via: str
    action: str | None
    reason_code: str
    scope: dict[str, Any]
    matched_keys: list[KeyRead]
    via_customer_id: int | None
    path_text: str | None
    path: list[dict[str, Any]] | None
    line_indexes: list[int] | None
    scope_checked: bool
    restriction: str
    overridden_by: int | None
    explanation: str


class MatchOut(BaseModel):
    keys: list[KeyRead]
    strongest_action: str | None
    matches: list[MatchRead]
    allows: list[MatchRead]
    out_of_scope: list[MatchRead]


class BlockCustomerIn(InputModel):
    reason_code: str | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    justification: str | None = None
    action: str = "block"
    scope: dict[str, Any] | None = None
    block_identifiers: bool = True
    identifier_types: list[str] | None = Field(
        default=None, description="default: the customer's own identifiers"
    )
    disable_account: bool = False
    notify: bool = True
    expires_at: Moment | None = None
    confirm_broad: bool = Field(
        default=False,
        description="Say yes to an entry that would match a large part of the customers (a network "
        "wider than /16, /32 for IPv6; a country the shop sells to; a mailbox provider such as "
        "gmail.com); without it such an entry is refused (422 entry_too_broad).",
    )


class LiftBlockIn(InputModel):
    reason: str
    enable_account: bool = True


class BlockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    customer_id: int
    status: str
    action: str
    scope: dict[str, Any]
    reason_code: str
    evidence: dict[str, Any]
    justification: str | None
    identifier_types: list[str]
    account_disabled: bool
    appeal_url: str
    notice_language: str | None
    notice_message_id: int | None
    entry_ids: list[int]
    expires_at: datetime | None
    created_by: str
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None


class ReasonCodeCreate(InputModel):
    shop_id: Id | None = None
    code: str
    label: str = ""
    descriptions: dict[str, str]


class ReasonCodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    code: str
    label: str
    descriptions: dict[str, str]
    active: bool
