"""Shops and products on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from storeguard.core.schemas import Id, InputModel


class ShopCreate(InputModel):
    name: str = Field(max_length=200, examples=["Nordlys Outfitters"])
    domain: str = Field(max_length=255, examples=["nordlys-outfitters.myshopify.com"])
    platform: str = Field(default="other", examples=["shopify"], description="shopify, woocommerce or other")
    currency: str = Field(examples=["NOK"], description="ISO 4217 code")
    country: str = Field(examples=["NO"], description="ISO 3166-1 alpha-2 code")
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        examples=["Europe/Oslo"],
        description="IANA time zone the shop keeps its hours in (rules' order.hour_local); UTC if left out.",
    )


class ShopRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    domain: str
    platform: str
    currency: str
    country: str
    created_at: datetime
    settings: dict[str, Any]


class ProductCreate(InputModel):
    shop_id: Id
    sku: str = Field(max_length=100, examples=["NL-RAIN-JKT"])
    title: str = Field(max_length=300, examples=["Fjord Rain Jacket"])
    category: str = Field(default="", max_length=100, examples=["apparel"])
    tags: list[str] = Field(default_factory=list, examples=[["outerwear", "waterproof"]])
    price: int = Field(description="minor units of the shop's currency", examples=[279900])
    options: dict[str, list[str]] = Field(default_factory=dict, examples=[{"size": ["S", "M", "L"]}])
    high_value: bool = False
    limited_edition: bool = False
    stock: int = 0
    platform_id: str | None = Field(default=None, max_length=64)


class ProductUpdate(InputModel):
    """Only the fields sent are changed."""

    sku: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=300)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] | None = None
    price: int | None = None
    options: dict[str, list[str]] | None = None
    high_value: bool | None = None
    limited_edition: bool | None = None
    stock: int | None = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    platform_id: str | None
    sku: str
    title: str
    category: str
    tags: list[str]
    price: int = Field(description="minor units of ``currency``")
    currency: str = Field(description="the shop's ISO 4217 currency")
    options: dict[str, list[str]]
    high_value: bool
    limited_edition: bool
    stock: int
    created_at: datetime


class ProductFilter(BaseModel):
    shop_id: Id | None = None
    category: str | None = None
    tag: str | None = None
    high_value: bool | None = None
    limited_edition: bool | None = None


class CatalogueMapping(BaseModel):
    """Which platform tags and product types flag a product (matched without regard to case)."""

    high_value_tags: list[str]
    limited_edition_tags: list[str]
    high_value_types: list[str]
    limited_edition_types: list[str]


class CatalogueMappingIn(InputModel):
    """The lists to change; a list left out stays as it is."""

    high_value_tags: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)
    limited_edition_tags: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=50
    )
    high_value_types: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)
    limited_edition_types: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=50
    )
