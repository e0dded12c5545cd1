"""A return (RMA) with its lines and photos, and each shop's return policy as data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.returns.enums import ReturnReason, ReturnStatus


class Return(Base):
    """One return of some units of one order's lines, from request to refund or rejection."""

    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))  # the platform's return, when mirrored
    status: Mapped[ReturnStatus] = mapped_column(String(20), default=ReturnStatus.requested)
    reason: Mapped[ReturnReason] = mapped_column(String(30))
    customer_note: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)  # why declined or rejected
    inspection_note: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    fee: Mapped[int] = mapped_column(BigId, default=0)  # restocking fee or depreciation kept
    refunded: Mapped[int] = mapped_column(BigId, default=0)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="rma", order_by="ReturnLine.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[ReturnPhoto]] = relationship(order_by="ReturnPhoto.id", cascade="all, delete-orphan")

    __table_args__ = (
        # The returns queue: a shop's returns in one state, oldest first.
        Index("ix_returns_queue", "shop_id", "status", "requested_at", "id"),
        UniqueConstraint("shop_id", "platform_id"),
    )


class ReturnLine(Base):
    """Units of one order line coming back, and how the inspection found them."""

    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_items.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[ReturnReason] = mapped_column(String(30))
    condition: Mapped[str | None] = mapped_column(String(30))
    restock: Mapped[bool] = mapped_column(default=False)
    fee: Mapped[int] = mapped_column(BigId, default=0)

    rma: Mapped[Return] = relationship(back_populates="lines")


class ReturnPhoto(Base):
    """A photo of the returned goods, re-encoded without its metadata, stored as a file."""

    __tablename__ = "return_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    path: Mapped[str] = mapped_column(String(500))  # under settings.return_photos_dir
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size: Mapped[int] = mapped_column()  # bytes stored
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ReturnPolicy(Base):
    """A shop's return policy: windows, fees by condition, when a refund may come before inspection."""

    __tablename__ = "return_policies"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=1)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


register_subject_shop("return", Return)
