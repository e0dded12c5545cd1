"""A dispute as the gateway reports it, and every event that changed it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.disputes.enums import DisputeGateway, DisputeStatus


class Dispute(Base):
    """One chargeback or inquiry: gateway, reason, amount, status and evidence deadline."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway: Mapped[DisputeGateway] = mapped_column(String(30))
    gateway_dispute_id: Mapped[str] = mapped_column(String(128))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(100), default="general")
    gateway_reason: Mapped[str | None] = mapped_column(String(100))  # the gateway's own word
    amount: Mapped[int] = mapped_column(BigId)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[DisputeStatus] = mapped_column(String(30))
    gateway_status: Mapped[str | None] = mapped_column(String(50))
    evidence_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    charge_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    payment_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    funds_withdrawn: Mapped[bool] = mapped_column(default=False)
    funds_reinstated: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last applied gateway event happened: an older event never overwrites a newer one.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # The merchant's answer: accepted (not contested, with why) or contested, and when.
    response: Mapped[str | None] = mapped_column(String(20))
    response_note: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by: Mapped[str | None] = mapped_column(String(200))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # won, lost or accepted
    # What the dispute cost beyond the order: the gateway's fee, and the amount lost when it ended lost.
    fee: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    amount_lost: Mapped[int | None] = mapped_column(BigId)
    # The merchant's edits to the evidence pack (letter, language, left-out items, extra text).
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The evidence items sent, kept so the win rate by evidence counts what was really used.
    evidence_used: Mapped[list[str]] = mapped_column(Json, default=list)
    evidence_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_submitted_by: Mapped[str | None] = mapped_column(String(200))
    # Marked for mediation or arbitration (a high amount worth the extra step), by whom and why.
    escalation: Mapped[str | None] = mapped_column(String(20))
    escalation_note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    events: Mapped[list[DisputeEvent]] = relationship(
        back_populates="dispute", order_by="DisputeEvent.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[DisputeNote]] = relationship(order_by="DisputeNote.id", cascade="all, delete-orphan")
    files: Mapped[list[DisputeFile]] = relationship(order_by="DisputeFile.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("gateway", "gateway_dispute_id"),
        # The inbox: a shop's disputes by their evidence deadline.
        Index("ix_disputes_due", "shop_id", "evidence_due_at", "id"),
    )


class DisputeNote(Base):
    """A staff note on a dispute: what was found, asked, or decided."""

    __tablename__ = "dispute_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DisputeFile(Base):
    """A document added to a dispute's evidence (a PDF or an image, checked by its bytes)."""

    __tablename__ = "dispute_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DisputeLetterTemplate(Base):
    """The merchant's own rebuttal letter for one reason in one language (the built-in one otherwise)."""

    __tablename__ = "dispute_letter_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reason: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (UniqueConstraint("reason", "language"),)


class DisputeEvent(Base):
    """One gateway event about a dispute, kept as received."""

    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(80))  # charge.dispute.closed, dispute.state.changed
    gateway_event_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    dispute: Mapped[Dispute] = relationship(back_populates="events")

    __table_args__ = (Index("ix_dispute_events_gateway_event", "gateway_event_id"),)


register_subject_shop("dispute", Dispute)
