"""A policy document's versions: each with its text and the moment it took effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, UTCDateTime
from storeguard.policies.enums import PolicyKind


class PolicyVersion(Base):
    """One version of a shop's refund, return or cancellation policy, as the customer saw it."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[PolicyKind] = mapped_column(String(20))
    version: Mapped[int] = mapped_column()  # 1, 2, ... per shop and kind
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="en")
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint("shop_id", "kind", "version"),
        # The version in effect at a moment: the latest one that took effect before it.
        Index("ix_policy_versions_effective", "shop_id", "kind", "effective_from"),
    )


register_subject_shop("policy", PolicyVersion)
