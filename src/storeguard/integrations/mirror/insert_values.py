"""The insert rows of mirrored records: column orders and the tuples built from mapped shapes.

Shared by ``store`` (webhooks, careful upserts) and the bulk import's reader process, which
imports only this and the mapping, not the models, to start quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from storeguard.integrations.mirror.shapes import (
    MappedCustomer,
    MappedFulfillment,
    MappedLine,
    MappedOrder,
    MappedRefund,
    MappedRefundTransaction,
)

# Columns a mirrored customer sets, in the order of customer_row; inserts add created_at.
CUSTOMER_COLUMNS = (
    "shop_id",
    "platform_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "locale",
    "platform_account_state",
    "note",
    "tags",
    "platform_updated_at",
    "updated_at",
)
CUSTOMER_INSERT = (*CUSTOMER_COLUMNS, "created_at")


def customer_row(shop_id: int, c: MappedCustomer, stamp: datetime) -> tuple[Any, ...]:
    """Return a customer's insert row, in CUSTOMER_INSERT's column order."""
    return (
        shop_id,
        c.platform_id,
        c.email,
        c.phone,
        c.first_name,
        c.last_name,
        c.locale,
        c.platform_account_state,
        c.note,
        c.tags,
        c.platform_updated_at,
        stamp,
    )


# Columns a mirrored order sets, in the order of order_row. Inserts add created_at and held;
# updates leave held alone (screening's hold outlives a newer platform version).
ORDER_COLUMNS = (
    "shop_id",
    "customer_id",
    "number",
    "platform_id",
    "source",
    "currency",
    "subtotal",
    "shipping",
    "tax",
    "discount",
    "total",
    "status",
    "financial_status",
    "fulfillment_status",
    "cancel_reason",
    "cancelled_at",
    "closed_at",
    "email",
    "phone",
    "shipping_address",
    "billing_address",
    "browser_ip",
    "payment_fingerprint",
    "card_bin",
    "card_last4",
    "card_expiry",
    "user_agent",
    "checkout",
    "tags",
    "note",
    "platform_updated_at",
    "updated_at",
)
ORDER_INSERT = (*ORDER_COLUMNS, "created_at", "held")


def order_row(
    shop_id: int, o: MappedOrder, customer_id: int | None, source: str, stamp: datetime
) -> tuple[Any, ...]:
    """Return an order's insert row, in ORDER_INSERT's column order."""
    return (
        shop_id,
        customer_id,
        o.number,
        o.platform_id,
        source,
        o.currency,
        o.subtotal,
        o.shipping,
        o.tax,
        o.discount,
        o.total,
        o.status,
        o.financial_status,
        o.fulfillment_status,
        o.cancel_reason,
        o.cancelled_at,
        o.closed_at,
        o.email,
        o.phone,
        o.shipping_address,
        o.billing_address,
        o.browser_ip,
        o.payment_fingerprint,
        o.card_bin,
        o.card_last4,
        o.card_expiry,
        o.user_agent,
        o.checkout,
        o.tags,
        o.note,
        o.platform_updated_at,
        stamp,
    )


LINE_COLUMNS = (
    "order_id",
    "product_id",
    "platform_id",
    "sku",
    "title",
    "variant",
    "quantity",
    "unit_price",
    "discount",
    "fulfilled_quantity",
    "refunded_quantity",
    "restocked_quantity",
    "properties",
)
PAYMENT_COLUMNS = ("order_id", "platform_id", "kind", "amount", "currency", "gateway", "status")
TRANSACTION_INSERT = (*PAYMENT_COLUMNS, "created_at", "fee", "refund_id", "gateway_reference")
FULFILLMENT_INSERT = (
    "order_id",
    "platform_id",
    "state",
    "carrier",
    "tracking_number",
    "tracking_url",
    "created_at",
    "delivered_at",
    "cancelled_at",
)
REFUND_INSERT = (
    "order_id",
    "platform_id",
    "amount",
    "shipping_amount",
    "currency",
    "reason",
    "note",
    "actor",
    "expected_arrival_from",
    "expected_arrival_to",
    "created_at",
)
REFUND_LINE_INSERT = ("refund_id", "line_item_id", "quantity", "amount", "restock", "returned")
FULFILLMENT_LINE_INSERT = ("fulfillment_id", "line_item_id", "quantity")
REFUND_ACTOR = "platform:shopify"


def line_row(order_id: int, li: MappedLine, product_id: int | None) -> tuple[Any, ...]:
    """Return a line item's insert row, in LINE_COLUMNS order."""
    return (
        order_id,
        product_id,
        li.platform_id,
        li.sku,
        li.title,
        li.variant,
        li.quantity,
        li.unit_price,
        li.discount,
        li.fulfilled_quantity,
        li.refunded_quantity,
        li.restocked_quantity,
        li.properties,
    )


# Each builder below takes the order (or refund) it belongs to as ``order_ref``/``refund_ref``: a
# database id, or a batch index that the bulk import's writer turns into one.


def payment_row(order_ref: Any, o: MappedOrder, stamp: datetime) -> tuple[Any, ...] | None:
    """Return the order's payment as a transaction row (TRANSACTION_INSERT order), if it has one."""
    p = o.payment
    if p is None:
        return None
    key = f"payment:{o.platform_id}"
    return (
        order_ref,
        key,
        p.kind,
        p.amount,
        o.currency,
        p.gateway,
        "success",
        o.created_at or stamp,
        0,
        None,
        None,
    )


def fulfillment_row(order_ref: Any, f: MappedFulfillment, stamp: datetime) -> tuple[Any, ...]:
    """Return a shipment's row (FULFILLMENT_INSERT order)."""
    return (
        order_ref,
        f.platform_id,
        f.state,
        f.carrier,
        f.tracking_number,
        f.tracking_url,
        f.created_at or stamp,
        (f.delivered_at or stamp) if f.state == "delivered" else None,
        stamp if f.state == "cancelled" else None,
    )


def refund_row(
    order_ref: Any, r: MappedRefund, stamp: datetime, arrival: Callable[[date], tuple[date, date]]
) -> tuple[Any, ...]:
    """Return a refund's row (REFUND_INSERT order); ``arrival`` gives the business-day window."""
    made = r.created_at or stamp
    return (
        order_ref,
        r.platform_id,
        r.amount,
        r.shipping_amount,
        r.currency,
        r.reason,
        r.note,
        REFUND_ACTOR,
        *arrival(made.date()),
        made,
    )


def refund_transaction_row(
    order_ref: Any, r: MappedRefund, tx: MappedRefundTransaction, refund_ref: Any, stamp: datetime
) -> tuple[Any, ...]:
    """Return a refund's money movement as a transaction row (TRANSACTION_INSERT order)."""
    status = tx.status if tx.status in ("success", "failure", "pending") else "pending"
    return (
        order_ref,
        tx.platform_id,
        "refund",
        tx.amount,
        r.currency,
        tx.gateway,
        status,
        tx.created_at or stamp,
        0,
        refund_ref,
        tx.reference,
    )
