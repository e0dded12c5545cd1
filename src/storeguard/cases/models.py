"""Cases (one per customer conversation), their communication log, conduct incidents and legal holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeguard.cases.enums import (
    CaseChannel,
    CaseLinkKind,
    CasePriority,
    CaseQueue,
    CaseStatus,
    ConductCategory,
    EntryKind,
    IncidentStatus,
)
from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime


class Case(Base):
    """One conversation with a customer, from any channel, with its service targets."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[CaseChannel] = mapped_column(String(20))
    status: Mapped[CaseStatus] = mapped_column(String(30), default=CaseStatus.new)
    priority: Mapped[CasePriority] = mapped_column(String(20), default=CasePriority.normal)
    queue: Mapped[CaseQueue] = mapped_column(String(20), default=CaseQueue.support)
    urgent: Mapped[bool] = mapped_column(default=False)  # a physical threat: seen first, by someone senior
    # After repeated abuse the customer is answered by email only (no chat, no phone).
    official_channels_only: Mapped[bool] = mapped_column(default=False)
    assignee: Mapped[str | None] = mapped_column(String(320))  # a staff member's email
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="en")
    first_answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    entries: Mapped[list[CaseEntry]] = relationship(order_by="CaseEntry.id", back_populates="case")
    links: Mapped[list[CaseLink]] = relationship(order_by="CaseLink.id", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_cases_inbox", "shop_id", "status", "first_answer_due_at", "id"),)


class CaseLink(Base):
    """An order, return or dispute the conversation is about."""

    __tablename__ = "case_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[CaseLinkKind] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(BigId)

    __table_args__ = (Index("ix_case_links_ref", "kind", "ref_id"),)


class CaseEntry(Base):
    """One entry of the communication log, never edited: a correction is a new entry naming this one."""

    __tablename__ = "case_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(String(20))
    channel: Mapped[CaseChannel] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text)  # as the customer's mail had it; never rendered as HTML
    # Each: filename, content_type, size, sha256 (the bytes are kept under data_dir by their hash).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    references: Mapped[list[str]] = mapped_column(Json, default=list)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("case_entries.id"))
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    case: Mapped[Case] = relationship(back_populates="entries")


class ConductIncident(Base):
    """A detection in one inbound message: the category, the triggering words, and the team's verdict."""

    __tablename__ = "conduct_incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("case_entries.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    category: Mapped[ConductCategory] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(10))
    triggers: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    status: Mapped[IncidentStatus] = mapped_column(String(20), default=IncidentStatus.detected)
    # What the policy did: warned, block_proposed, blocked, escalated_legal, escalated_urgent, recorded.
    outcome: Mapped[str] = mapped_column(String(30), default="recorded")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("block_proposals.id"))
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (Index("ix_conduct_incidents_customer", "customer_id", "category", "created_at"),)


class BlockProposal(Base):
    """Repeated abuse: a block the policy proposes, with the incidents as evidence, for a person to decide."""

    __tablename__ = "block_proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    incident_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed, accepted, rejected
    block_id: Mapped[int | None] = mapped_column(ForeignKey("customer_blocks.id"))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class LegalHold(Base):
    """A customer's records kept from erasure while a legal threat is open."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(320))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    lifted_by: Mapped[str | None] = mapped_column(String(320))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


register_subject_shop("case", Case)
register_subject_shop("conduct_incident", ConductIncident)
register_subject_shop("block_proposal", BlockProposal)
register_subject_shop("legal_hold", LegalHold)
