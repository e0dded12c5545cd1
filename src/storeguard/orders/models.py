"""Orders and the money and goods that move with them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storeguard.core.audit import register_subject_shop
from storeguard.core.clock import now
from storeguard.core.db import Base, BigId, Json, UTCDateTime
from storeguard.orders.enums import (
    CancellationRequestStatus,
    CancelReason,
    FinancialStatus,
    FulfillmentState,
    FulfillmentStatus,
    OrderSource,
    OrderStatus,
    TransactionKind,
    TransactionStatus,
)


class Order(Base):
    """An order with its totals (minor units), states and the facts screening reads."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(50))
    # A platform may give two of its orders the same name (Shopify's "#1002" is a label, its id is
    # the key): both are kept, and the later one says so instead of being refused and lost.
    number_repeated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    platform_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[OrderSource] = mapped_column(String(20), default=OrderSource.api)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigId, default=0)
    shipping: Mapped[int] = mapped_column(BigId, default=0)
    tax: Mapped[int] = mapped_column(BigId, default=0)
    discount: Mapped[int] = mapped_column(BigId, default=0)
    total: Mapped[int] = mapped_column(BigId, default=0)
    status: Mapped[OrderStatus] = mapped_column(String(20), default=OrderStatus.open)
    financial_status: Mapped[FinancialStatus] = mapped_column(String(30), default=FinancialStatus.pending)
    fulfillment_status: Mapped[FulfillmentStatus] = mapped_column(
        String(20), default=FulfillmentStatus.unfulfilled
    )
    cancel_reason: Mapped[CancelReason | None] = mapped_column(String(20))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    browser_ip: Mapped[str | None] = mapped_column(String(45))
    # The buyer's browser as the checkout saw it: with the IP, a weak sign of the same person.
    user_agent: Mapped[str | None] = mapped_column(String(500))
    device_id: Mapped[str | None] = mapped_column(String(128))
    # Card BIN + last4 + expiry, or the gateway's own fingerprint, as one comparable string.
    payment_fingerprint: Mapped[str | None] = mapped_column(String(128))
    card_bin: Mapped[str | None] = mapped_column(String(8))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    # "MM/YY": with the BIN and last four it names one card; without it thousands share them.
    card_expiry: Mapped[str | None] = mapped_column(String(5))
    # Card checks, discount codes, shipping method, browser language and buyer as the checkout gave
    # them (screening.inputs.CHECKOUT_KEYS); rules read them as card.*, order.*, browser.* facts.
    checkout: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Held orders (screening said review) may not be fulfilled until a person releases them.
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # When it was last held: the review queue's order and age. Kept on release, as history.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[list[str]] = mapped_column(Json, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    # The platform's own updated_at: a mirrored order is only overwritten by a newer version.
    platform_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    line_items: Mapped[list[LineItem]] = relationship(
        back_populates="order", order_by="LineItem.id", cascade="all, delete-orphan"
    )
    transactions: Mapped[list[Transaction]] = relationship(
        back_populates="order", order_by="Transaction.id", cascade="all, delete-orphan"
    )
    fulfillments: Mapped[list[Fulfillment]] = relationship(
        back_populates="order", order_by="Fulfillment.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="order", order_by="Refund.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_orders_shop_number", "shop_id", "number"),
        Index("ix_orders_shop_platform", "shop_id", "platform_id"),
        # Finding a customer's orders by their whole email address (the order search).
        Index("ix_orders_email", "email"),
        # A backtest reads a shop's orders in time order with the columns of the customer's history:
        # covering them keeps a million-order scan sequential instead of a million row lookups.
        Index(
            "ix_orders_shop_created_history", "shop_id", "created_at", "id", "customer_id", "total", "status"
        ),
        # The review queue's held orders are a handful among millions: a partial index finds them
        # without reading the shop's orders. Each dialect's clause is written as its queries render
        # `held IS true`, so that the planner sees the index applies.
        Index(
            "ix_orders_held",
            "shop_id",
            "status",
            "held_at",
            sqlite_where=text("held IS 1"),
            postgresql_where=text("held IS true"),
        ),
    )


class LineItem(Base):
    """One product line of an order, with how much of it was fulfilled, refunded and restocked."""

    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(300))
    variant: Mapped[dict[str, str]] = mapped_column(Json, default=dict)  # {"size": "M", "color": "red"}
    # What the buyer wrote on the line (engraving, gift message): [{"name", "value"}] in the
    # platform's order, bounded by policy.line_properties_refusal; "_" names are an app's own data.
    properties: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list, server_default=text("'[]'"))
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column(BigId)
    discount: Mapped[int] = mapped_column(BigId, default=0)  # for the whole line
    fulfilled_quantity: Mapped[int] = mapped_column(default=0)
    refunded_quantity: Mapped[int] = mapped_column(default=0)
    restocked_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="line_items")

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity - self.discount


class Transaction(Base):
    """A movement of money at the gateway: authorization, capture, sale, void or refund."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    platform_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[TransactionKind] = mapped_column(String(20))
    status: Mapped[TransactionStatus] = mapped_column(String(20), default=TransactionStatus.success)
    gateway: Mapped[str] = mapped_column(String(50), default="manual")
    gateway_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    amount: Mapped[int] = mapped_column(BigId)
    fee: Mapped[int] = mapped_column(BigId, default=0)  # kept by the gateway, never returned
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    order: Mapped[Order] = relationship(back_populates="transactions")


class Fulfillment(Base):
    """A shipment of some of an order's lines."""

    __tablename__ = "fulfillments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[FulfillmentState] = mapped_column(String(20), default=FulfillmentState.open)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="fulfillments")
    lines: Mapped[list[FulfillmentLine]] = relationship(cascade="all, delete-orphan")


class FulfillmentLine(Base):
    __tablename__ = "fulfillment_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("fulfillments.id"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_items.id"))
    quantity: Mapped[int] = mapped_column()


class Refund(Base):
    """Money returned to the customer, by lines, shipping and/or an amount."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigId)  # everything returned, shipping included
    shipping_amount: Mapped[int] = mapped_column(BigId, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    expected_arrival_from: Mapped[date] = mapped_column(Date)
    expected_arrival_to: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    order: Mapped[Order] = relationship(back_populates="refunds")
    lines: Mapped[list[RefundLine]] = relationship(cascade="all, delete-orphan")


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_items.id"))
    quantity: Mapped[int] = mapped_column()
    amount: Mapped[int] = mapped_column(BigId)
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    # The units came back from the customer (a return), which a restock alone does not say: a
    # cancel restocks goods never shipped, and a returned item may be too worn to restock.
    returned: Mapped[bool] = mapped_column(Boolean, default=False)


class InventoryMovement(Base):
    """A change in a product's stock, so stock = start - sold + restocked can be checked."""

    __tablename__ = "inventory_movements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    delta: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(30))  # sold, restocked, adjusted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CancellationRequest(Base):
    """A customer's request to cancel: recorded for staff to act on, never a cancel by itself."""

    __tablename__ = "cancellation_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CancellationRequestStatus] = mapped_column(
        String(20), default=CancellationRequestStatus.open
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


register_subject_shop("order", Order)
