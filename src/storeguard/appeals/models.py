"""An appeal against a block, and the files the customer attached to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeguard.appeals.enums import AppealStatus
from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime


class Appeal(Base):
    """A customer's request to look at a block again, and the second person's decision."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("customer_blocks.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[AppealStatus] = mapped_column(String(30), default=AppealStatus.open)
    language: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answer_by: Mapped[datetime] = mapped_column(UTCDateTime)  # the target time to decide
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)  # what the customer is told
    conditions: Mapped[dict[str, Any] | None] = mapped_column(Json)
    override_reason: Mapped[str | None] = mapped_column(Text)  # an owner deciding their own block
    follow_up_block_id: Mapped[int | None] = mapped_column(ForeignKey("customer_blocks.id"))

    attachments: Mapped[list[AppealAttachment]] = relationship(
        order_by="AppealAttachment.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One open appeal per block: a second waits for the first's answer.
        Index(
            "uq_appeals_open_block",
            "block_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_appeals_queue", "status", "answer_by", "id"),
    )


class AppealAttachment(Base):
    """A file the customer sent with an appeal (its type read from its bytes, its size limited)."""

    __tablename__ = "appeal_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


register_subject_shop("appeal", Appeal)
