"""Each customer's assessment as last computed, and the segment a person placed them in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, Json, UTCDateTime


class CustomerRisk(Base):
    """A customer's score, findings and suggested segment from one model version, and their segment.

    ``segment`` is what a person decided (or, until someone does, neutral); ``suggested`` is what
    the findings point to. They differ until a person accepts or dismisses the suggestion.
    """

    __tablename__ = "customer_risks"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, autoincrement=False
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    score: Mapped[int] = mapped_column(default=0)
    suggested: Mapped[str] = mapped_column(String(20))
    segment: Mapped[str] = mapped_column(String(20), default="neutral")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # The findings' types, sorted and comma-separated: what screening reads on every checkout,
    # without the evidence (order ids, words) the findings carry.
    finding_types: Mapped[str] = mapped_column(String(300), default="", server_default="")
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    model_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    dismissed: Mapped[str | None] = mapped_column(String(20))  # the suggestion a person turned down

    __table_args__ = (
        # Suggestions waiting for a person, by score.
        Index("ix_customer_risks_shop_score", "shop_id", "score"),
    )


class StaleRisk(Base):
    """A customer whose history changed after their assessment was stored: reassess them soon.

    A write marks the customer here in its own transaction (one upsert, ``risk.freshness``); the
    background work reassesses marked customers and takes the mark away. ``changes`` grows with
    every mark, so a mark made while the customer was being reassessed is not taken away with it.
    """

    __tablename__ = "risk_stale_customers"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, autoincrement=False
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    changes: Mapped[int] = mapped_column(default=1)


register_subject_shop("customer_risk", CustomerRisk, "shop_id")
