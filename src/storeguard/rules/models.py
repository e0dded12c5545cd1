"""Rules, their versions, the policy version counter, the merchant's named lists and rule hits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime


class Rule(Base):
    """A merchant rule; ``source`` is its current text, ``version`` the number of that text."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)  # None: every shop
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RuleVersion(Base):
    """One saved text of a rule; editing a rule's source adds a version, never rewrites one."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("rule_id", "version"),)


class PolicyHead(Base):
    """The one row holding the current policy version; locked to number changes in order."""

    __tablename__ = "rule_policy_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(32))


class PolicyVersion(Base):
    """A numbered state of the whole rule set; screening stores the number with each decision.

    ``snapshot`` names the rule versions and list revisions in force, so a decision can be replayed.
    ``token`` is unique per state, so compiled rules are cached safely across databases.
    """

    __tablename__ = "rule_policy_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    change: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[str] = mapped_column(String(200))


class NamedList(Base):
    """A set of text values a rule names as ``@name`` (countries, domains, tags, ...)."""

    __tablename__ = "named_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)  # None: every shop
    name: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    values: Mapped[list[str]] = mapped_column(Json, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("shop_id", "name"),)


class RuleHit(Base):
    """How many recorded decisions a rule matched on one UTC day, counted as each is recorded.

    The rules page shows a rule's hits today, this week and this month; reading them from the
    decisions' reasons would read every decision of the month on each page view.
    """

    __tablename__ = "rule_hits"

    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


register_subject_shop("rule", Rule)
