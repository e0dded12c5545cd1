"""Stored decisions, verification steps, review notes and each shop's screening settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.screening.enums import Outcome, ScreeningSource, VerificationStatus


class Decision(Base):
    """One screening answer with its score, reasons and the policy version that produced it.

    ``order_id`` is null only for a prospective order screened in-process and recorded by the
    caller; ``POST /v1/screen`` stores nothing.
    """

    __tablename__ = "screening_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    source: Mapped[ScreeningSource] = mapped_column(String(20), default=ScreeningSource.order_created)
    decision: Mapped[Outcome] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    restricted_lines: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    policy_version: Mapped[int] = mapped_column(Integer)  # the rules' policy version in force
    settings_revision: Mapped[int] = mapped_column(Integer, default=0)  # the shop's screening settings
    duration_us: Mapped[int] = mapped_column(Integer)
    # What the customer must do when the decision is verify: {"method": ..., "satisfied_by": ...}.
    verification: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (Index("ix_screening_decisions_shop_created", "shop_id", "created_at"),)


class Verification(Base):
    """A verification step an order needs before it proceeds, and whether it was satisfied."""

    __tablename__ = "screening_verifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("screening_decisions.id"))
    method: Mapped[str] = mapped_column(String(40))
    satisfied_by: Mapped[str] = mapped_column(Text)
    status: Mapped[VerificationStatus] = mapped_column(String(20), default=VerificationStatus.required)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class ReviewNote(Base):
    """A reviewer's note on a held order."""

    __tablename__ = "screening_review_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ScreeningSettings(Base):
    """A shop's screening policy as data: signal weights, thresholds, segments, what block does.

    Missing keys fall back to ``policy.DEFAULT_SETTINGS``; ``revision`` grows on every change and
    goes into each decision's policy version.
    """

    __tablename__ = "screening_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class VelocityEvent(Base):
    """One order seen with one identifier, for velocity counts kept in the database.

    The identifier is kept as a hash: counting needs equality, never the email or card itself.
    """

    __tablename__ = "screening_velocity_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # email, phone, ip, device, card, address
    key: Mapped[str] = mapped_column(String(32))  # hash of "kind:value"
    order_id: Mapped[int] = mapped_column(BigId)
    amount: Mapped[int] = mapped_column(BigId)  # the order's total, minor units
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_screening_velocity_events_lookup", "shop_id", "key", "at"),)


class CustomerProfile(Base):
    """A customer's history in the eight numbers checkout screening reads, kept as the history changes.

    Every write to the customer's orders, refunds, returns, lines or disputes recomputes the row in
    its own transaction (``screening.profiles``), so a checkout reads one row by its key instead
    of aggregating the history. A customer without a row has no history (all zeros).
    """

    __tablename__ = "customer_profiles"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # In the order ``metrics_select`` returns them, so both paths build the same metrics.
    orders_count: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    total_spent: Mapped[int] = mapped_column(BigId, default=0, server_default="0")  # minor units
    cancellations: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    chargebacks: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    refunds_count: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    refunded_amount: Mapped[int] = mapped_column(BigId, default=0, server_default="0")  # minor units
    items_bought: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    items_returned: Mapped[int] = mapped_column(BigId, default=0, server_default="0")


# The columns of a profile that hold its numbers, in ``metrics_select``'s order.
PROFILE_NUMBERS = (
    "orders_count",
    "total_spent",
    "cancellations",
    "chargebacks",
    "refunds_count",
    "refunded_amount",
    "items_bought",
    "items_returned",
)
