"""List entries, customer blocks, the merchant's reason codes, and a per-shop list version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.lists.enums import BlockStatus, EntryAction, EntryKind, EntryStatus


class ListEntry(Base):
    """A block or allow entry on one identifier, country, IP range or customer, with why and how far."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[EntryKind] = mapped_column(String(10), default=EntryKind.block)
    type: Mapped[str] = mapped_column(String(30))  # an EntryTarget
    value: Mapped[str] = mapped_column(String(600))  # normalized key, compared at match time
    display: Mapped[str] = mapped_column(String(600), default="")
    # The customer the entry is about (set for customer entries and for a block's identifiers).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("customer_blocks.id"), index=True)
    scope: Mapped[dict[str, Any]] = mapped_column(Json, default=lambda: {"kind": "everything"})
    action: Mapped[EntryAction | None] = mapped_column(String(10))  # None for allow entries
    reason_code: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EntryStatus] = mapped_column(String(10), default=EntryStatus.active)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(200))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # Hash of (kind, type, value, action, scope): one active entry per key, so a repeat is idempotent.
    dedupe_key: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_list_entries_lookup", "shop_id", "type", "value"),
        # The lists page reads the newest entries a page at a time, by key: never a sort of the table.
        Index("ix_list_entries_created", "created_at", "id"),
        # The few entries that expire: the sweep that lifts them, and a backtest asking whether any
        # can expire within its range, read them without walking a million entries that never do.
        Index(
            "ix_list_entries_expiring",
            "shop_id",
            "expires_at",
            sqlite_where=text("expires_at IS NOT NULL"),
            postgresql_where=text("expires_at IS NOT NULL"),
        ),
        Index(
            "uq_list_entries_active_dedupe",
            "shop_id",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class CustomerBlock(Base):
    """One decision to block a customer: why, on what evidence, by whom; lifted, never deleted."""

    __tablename__ = "customer_blocks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[BlockStatus] = mapped_column(String(10), default=BlockStatus.active)
    action: Mapped[EntryAction] = mapped_column(String(10), default=EntryAction.block)
    scope: Mapped[dict[str, Any]] = mapped_column(Json, default=lambda: {"kind": "everything"})
    reason_code: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    justification: Mapped[str | None] = mapped_column(Text)  # an owner's words when evidence is missing
    identifier_types: Mapped[list[str]] = mapped_column(Json, default=list)
    account_disabled: Mapped[bool] = mapped_column(Boolean, default=False)  # this block disabled it
    appeal_token: Mapped[str] = mapped_column(String(64), unique=True)
    notice_language: Mapped[str | None] = mapped_column(String(10))
    notice_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(200))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class ReasonCode(Base):
    """A reason from the merchant's own list, with plain words per language for notices."""

    __tablename__ = "reason_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    code: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(200))
    # {"en": "...", "nb": "...", "he": "...", "zh": "..."}: what the customer reads in a notice.
    descriptions: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("shop_id", "code"),)


class ListVersion(Base):
    """A counter bumped on every entry change, so each process knows when its IP-range cache is stale."""

    __tablename__ = "list_versions"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # A fresh random token per change: a rolled-back change can reuse a version number, never a token.
    token: Mapped[str] = mapped_column(String(32), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


register_subject_shop("list_entry", ListEntry)
