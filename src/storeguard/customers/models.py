"""Customers, the identifiers they leave behind, and the cluster of linked customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.customers.enums import AccountState, IdentifierSource, IdentifierType


class Customer(Base):
    """A customer account as the shop knows it."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # storeguard's decision (a block that disables the account); no platform update changes it.
    # Mirror writers insert without it: a new account is enabled until storeguard decides otherwise.
    state: Mapped[AccountState] = mapped_column(
        String(20), default=AccountState.enabled, server_default=AccountState.enabled.value
    )
    # What the platform says of the account (Shopify: enabled, disabled, invited, declined).
    platform_account_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    # The platform's own updated_at: a mirrored customer is only overwritten by a newer version.
    platform_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The smallest customer id among everyone linked to this customer (union-find, kept current
    # as identifiers arrive); None until the customer's first identifier is recorded.
    cluster_id: Mapped[int | None] = mapped_column(BigId, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    # When their personal data was erased on request (privacy): the row stays for the books and blocks.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_customers_shop_platform", "shop_id", "platform_id"),)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Identifier(Base):
    """One identifier a customer has used, by its normalized key, with when it was first and last seen."""

    __tablename__ = "identifiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    type: Mapped[IdentifierType] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(600))  # the normalized key that is compared
    display: Mapped[str] = mapped_column(String(600))  # as the customer wrote it
    source: Mapped[IdentifierSource] = mapped_column(String(20), default=IdentifierSource.order)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    first_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))

    __table_args__ = (
        UniqueConstraint("customer_id", "type", "value"),
        Index("ix_identifiers_lookup", "shop_id", "type", "value"),
    )


register_subject_shop("customer", Customer)
