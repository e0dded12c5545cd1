"""A shop and its catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.shops.enums import Platform


class Shop(Base):
    """One storefront: its platform, currency and home country."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[Platform] = mapped_column(String(20), default=Platform.other)
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The number the next order made in storeguard gets (#1001 first); taken with the row locked.
    next_order_number: Mapped[int] = mapped_column(BigInteger, default=1001, server_default="1001")


class Product(Base):
    """A product with its category, tags, price, variant options, risk flags and stock."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    price: Mapped[int] = mapped_column(BigId)  # minor units in the shop's currency
    options: Mapped[dict[str, list[str]]] = mapped_column(Json, default=dict)  # {"size": ["S", "M"]}
    high_value: Mapped[bool] = mapped_column(Boolean, default=False)
    limited_edition: Mapped[bool] = mapped_column(Boolean, default=False)
    stock: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("shop_id", "sku"),)


register_subject_shop("product", Product)
