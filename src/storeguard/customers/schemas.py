"""Customer shapes on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel
from storeguard.customers.enums import LinkStrength


class CustomerCreate(InputModel):
    shop_id: Id
    email: str | None = None
    phone: str | None = None
    first_name: str = ""
    last_name: str = ""
    locale: str = "en"
    platform_id: str | None = None
    note: str | None = None


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    platform_id: str | None
    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    locale: str
    state: str
    platform_account_state: str | None = None
    cluster_id: int | None
    created_at: datetime


class IdentifierCreate(InputModel):
    type: str = Field(description="email, phone, shipping_address, ip, device_id, payment_fingerprint, ...")
    value: str | dict[str, Any] = Field(
        description="as written; an address may be an object (address1, zip, ...)"
    )


class IdentifierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    type: str
    value: str
    display: str
    source: str
    first_seen: datetime
    last_seen: datetime
    first_order_id: int | None


class SharedIdentifierRead(BaseModel):
    type: str
    value: str
    display: str
    strength: LinkStrength | None = Field(description="strong, weak, or null for a type that never links")


class LinkHopRead(BaseModel):
    from_customer_id: int | None
    to_customer_id: int
    strength: LinkStrength = Field(description="strong when the two share one strong identifier")
    shared: list[SharedIdentifierRead]


class LinkRead(BaseModel):
    customer_id: int
    strength: LinkStrength = Field(description="as strong as the path's weakest hop")
    path_text: str
    path: list[LinkHopRead]


class LinksRead(BaseModel):
    customer_id: int
    cluster: list[int]
    link_types: list[str]
    links: list[LinkRead] = Field(description="the customers of the cluster, joined by strong links")
    possible_matches: list[LinkRead] = Field(
        description="customers outside the cluster who share only weak identifiers; never blocked through"
    )


class LinkTypesIn(InputModel):
    shop_id: Id
    types: list[str]


class LinkTypesRead(BaseModel):
    shop_id: int
    types: list[str]


class TimelineEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    data: dict[str, Any] | None
