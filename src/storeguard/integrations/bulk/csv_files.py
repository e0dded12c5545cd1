"""CSV imports: column mappings per kind, and a WooCommerce order-export preset.

The columns are documented for merchants in docs/csv-columns.md; keep the two in step.

Columns (header names, case-insensitive; unknown columns are ignored):

customers  id*, email, phone, first_name, last_name, state (enabled|disabled), tags (comma
           separated), note, created_at, updated_at
orders     one row per line item; rows of one order are consecutive.
           order_id*, number*, currency*, total*, created_at, updated_at, email, phone,
           customer_id, customer_email, customer_first_name, customer_last_name,
           financial_status, fulfillment_status, cancelled_at, cancel_reason, subtotal, shipping,
           tax, discount, browser_ip, card_bin, card_last4, tags, note,
           billing_/shipping_ + first_name, last_name, company, address1, address2, city,
           province, zip, country_code, phone;
           line_id, sku, title, quantity, unit_price, line_discount
refunds    one row per refunded line (or one row without a line for an amount-only refund).
           refund_id*, order_id*, amount*, created_at, note, reason, shipping_amount,
           line_id, quantity, line_amount, restock (true|false)

Amounts are decimal strings in the order's currency ("199.00"); times are ISO 8601.
(* required)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.core.money import validate_currency
from storeguard.integrations.bulk.runs import Item
from storeguard.integrations.mirror.shapes import (
    MappedCustomer,
    MappedLine,
    MappedOrder,
    MappedPayment,
    MappedRefund,
    MappedRefundLine,
    MappingError,
)
from storeguard.integrations.platforms.common import timestamp
from storeguard.integrations.platforms.shopify.mapping import (
    CANCEL_REASONS,
    FINANCIAL,
    PLATFORM_STATES,
    money,
    tags,
)

ADDRESS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "zip",
    "country_code",
    "phone",
)

# WooCommerce's order export (WooCommerce → Orders → Export, and the common export plugins):
# their header on the right, storeguard's column on the left.
WOOCOMMERCE_ORDERS = {
    "order_id": "Order ID",
    "number": "Order Number",
    "created_at": "Order Date",
    "updated_at": "Order Modified Date",
    "woo_status": "Order Status",
    "currency": "Order Currency",
    "subtotal": "Order Subtotal Amount",
    "shipping": "Order Shipping Amount",
    "tax": "Order Total Tax Amount",
    "discount": "Cart Discount Amount",
    "total": "Order Total Amount",
    "email": "Billing Email Address",
    "phone": "Billing Phone",
    "customer_id": "Customer User ID",
    "browser_ip": "Customer IP Address",
    "note": "Customer Note",
    "billing_first_name": "Billing First Name",
    "billing_last_name": "Billing Last Name",
    "billing_company": "Billing Company",
    "billing_address1": "Billing Address 1",
    "billing_address2": "Billing Address 2",
    "billing_city": "Billing City",
    "billing_province": "Billing State",
    "billing_zip": "Billing Postcode",
    "billing_country_code": "Billing Country",
    "shipping_first_name": "Shipping First Name",
    "shipping_last_name": "Shipping Last Name",
    "shipping_address1": "Shipping Address 1",
    "shipping_address2": "Shipping Address 2",
    "shipping_city": "Shipping City",
    "shipping_province": "Shipping State",
    "shipping_zip": "Shipping Postcode",
    "shipping_country_code": "Shipping Country",
    "line_id": "Item ID",
    "sku": "SKU",
    "title": "Item Name",
    "quantity": "Quantity",
    "unit_price": "Item Cost",
}
# WooCommerce statuses → (financial, fulfillment, cancelled)
WOO_STATUS = {
    "pending": ("pending", "unfulfilled", False),
    "processing": ("paid", "unfulfilled", False),
    "on-hold": ("authorized", "unfulfilled", False),
    "completed": ("paid", "fulfilled", False),
    "cancelled": ("voided", "unfulfilled", True),
    "refunded": ("refunded", "unfulfilled", False),
    "failed": ("voided", "unfulfilled", False),
}
PRESETS = {"woocommerce": WOOCOMMERCE_ORDERS}


def _rows(path: Path, preset: dict[str, str] | None) -> Iterator[tuple[int, dict[str, str], int]]:
    """Yield (row number, values by storeguard column, 0) for each data row."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rename: dict[str, str] = {}
        if preset:
            by_header = {v.lower(): k for k, v in preset.items()}
            rename = {h: by_header.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []}
        else:
            rename = {h: h.strip().lower() for h in reader.fieldnames or []}
        for number, raw in enumerate(reader, start=2):  # row 1 is the header
            values = {rename.get(k, k): (v or "").strip() for k, v in raw.items() if k is not None}
            yield number, values, 0


def _need(row: dict[str, str], name: str) -> str:
    value = row.get(name, "")
    if not value:
        raise MappingError(f"column {name} is empty")
    return value


def _int(row: dict[str, str], name: str, default: int = 0) -> int:
    value = row.get(name, "")
    if not value:
        return default
    if not value.lstrip("-").isdigit():
        raise MappingError(f"{name} {value!r} is not a whole number")
    return int(value)


def customer_items(path: Path) -> Iterator[Item]:
    """Map customer rows."""
    for row_no, row, offset in _rows(path, None):
        try:
            # The platform's account state, kept as a fact apart from storeguard's own decision.
            state = (row.get("state") or "").lower() or None
            if state is not None and state not in PLATFORM_STATES:
                raise MappingError(f"state {state!r} is not one of {', '.join(sorted(PLATFORM_STATES))}")
            yield Item(
                row_no,
                MappedCustomer(
                    platform_id=_need(row, "id"),
                    email=row.get("email") or None,
                    phone=row.get("phone") or None,
                    first_name=row.get("first_name", "")[:100],
                    last_name=row.get("last_name", "")[:100],
                    platform_account_state=state,
                    note=row.get("note") or None,
                    tags=tags(row.get("tags")),
                    created_at=timestamp(row.get("created_at")),
                    platform_updated_at=timestamp(row.get("updated_at")),
                ),
                None,
                offset,
            )
        except MappingError as exc:
            yield Item(row_no, None, str(exc), offset)


def _address(row: dict[str, str], prefix: str) -> dict[str, Any] | None:
    kept = {f: row[f"{prefix}_{f}"] for f in ADDRESS if row.get(f"{prefix}_{f}")}
    return kept or None


def _order_head(row: dict[str, str], woo: bool) -> MappedOrder:
    try:
        currency = validate_currency(_need(row, "currency"))
    except Invalid as exc:
        raise MappingError(exc.message) from None
    total = money(_need(row, "total"), currency, "total")
    financial = row.get("financial_status") or "pending"
    fulfillment = row.get("fulfillment_status") or "unfulfilled"
    cancelled_at = timestamp(row.get("cancelled_at"))
    cancel_reason = row.get("cancel_reason") or None
    if woo:
        status = row.get("woo_status", "").lower().removeprefix("wc-")
        if status not in WOO_STATUS:
            raise MappingError(f"WooCommerce status {status!r} is unknown")
        financial, fulfillment, cancelled = WOO_STATUS[status]
        if cancelled:
            cancelled_at = timestamp(row.get("updated_at")) or timestamp(row.get("created_at"))
            cancel_reason = "other"
    if financial not in FINANCIAL:
        raise MappingError(f"financial_status {financial!r} is unknown")
    if cancel_reason is not None and cancel_reason not in CANCEL_REASONS:
        cancel_reason = "other"
    customer = None
    if row.get("customer_id") and row["customer_id"] != "0":  # WooCommerce guests have user id 0
        customer = MappedCustomer(
            platform_id=row["customer_id"],
            email=row.get("customer_email") or row.get("email") or None,
            phone=row.get("phone") or None,
            first_name=row.get("customer_first_name") or row.get("billing_first_name", ""),
            last_name=row.get("customer_last_name") or row.get("billing_last_name", ""),
            platform_updated_at=timestamp(row.get("updated_at")),
        )
    payment = None
    if financial in {"paid", "partially_refunded", "refunded"}:
        payment = MappedPayment("sale", total, row.get("gateway") or "import")
    elif financial == "authorized":
        payment = MappedPayment("authorization", total, row.get("gateway") or "import")
    number = row.get("number") or row.get("order_id", "")
    return MappedOrder(
        platform_id=_need(row, "order_id"),
        number=number if number.startswith("#") else f"#{number}",
        currency=currency,
        total=total,
        subtotal=money(row.get("subtotal"), currency, "subtotal"),
        shipping=money(row.get("shipping"), currency, "shipping"),
        tax=money(row.get("tax"), currency, "tax"),
        discount=money(row.get("discount"), currency, "discount"),
        status="cancelled" if cancelled_at else "open",
        financial_status=financial,
        fulfillment_status=fulfillment
        if fulfillment in {"unfulfilled", "partial", "fulfilled"}
        else "unfulfilled",
        cancel_reason=cancel_reason if cancelled_at else None,
        cancelled_at=cancelled_at,
        email=row.get("email") or None,
        phone=row.get("phone") or None,
        shipping_address=_address(row, "shipping"),
        billing_address=_address(row, "billing"),
        browser_ip=row.get("browser_ip") or None,
        card_bin=row.get("card_bin") or None,
        card_last4=row.get("card_last4") or None,
        tags=tags(row.get("tags")),
        note=row.get("note") or None,
        created_at=timestamp(row.get("created_at")),
        platform_updated_at=timestamp(row.get("updated_at")),
        customer=customer,
        payment=payment,
    )


def _groups(
    path: Path, preset: dict[str, str] | None, key: str
) -> Iterator[list[tuple[int, dict[str, str]]]]:
    """Group consecutive rows that share ``key`` (an order's lines, a refund's lines)."""
    group: list[tuple[int, dict[str, str]]] = []
    for row_no, row, _ in _rows(path, preset):
        if group and group[0][1].get(key, "") != row.get(key, ""):
            yield group
            group = []
        group.append((row_no, row))
    if group:
        yield group


def order_items(path: Path, preset: str | None = None) -> Iterator[Item]:
    """Map order rows (one per line item) to orders; an order's row number is its first row's."""
    woo = preset == "woocommerce"
    for group in _groups(path, PRESETS[preset] if preset else None, "order_id"):
        first_row = group[0][0]
        try:
            order = _order_head(group[0][1], woo)
            for _, row in group:
                if row.get("title") or row.get("sku"):
                    order.lines.append(
                        MappedLine(
                            platform_id=row.get("line_id") or None,
                            title=row.get("title") or row.get("sku", ""),
                            sku=row.get("sku", ""),
                            quantity=_int(row, "quantity", 1),
                            unit_price=money(row.get("unit_price"), order.currency, "unit_price"),
                            discount=money(row.get("line_discount"), order.currency, "line_discount"),
                        )
                    )
            yield Item(first_row, order, None, 0)
        except MappingError as exc:
            yield Item(first_row, None, str(exc), 0)


def refund_items(path: Path, currency_of: dict[str, str]) -> Iterator[Item]:
    """Map refund rows (one per refunded line) to refunds in their order's currency."""
    for group in _groups(path, None, "refund_id"):
        first_row, head = group[0]
        try:
            order_id = _need(head, "order_id")
            currency = head.get("currency") or currency_of.get(order_id)
            if not currency:
                raise MappingError(f"order {order_id} is not in storeguard")
            try:
                currency = validate_currency(currency)
            except Invalid as exc:
                raise MappingError(exc.message) from None
            refund = MappedRefund(
                platform_id=_need(head, "refund_id"),
                order_platform_id=order_id,
                amount=money(_need(head, "amount"), currency, "amount"),
                currency=currency,
                shipping_amount=money(head.get("shipping_amount"), currency, "shipping_amount"),
                note=head.get("note") or None,
                reason=head.get("reason") or None,
                created_at=timestamp(head.get("created_at")),
            )
            for _, row in group:
                if row.get("line_id"):
                    restock = row.get("restock", "").lower() in {"1", "true", "yes"}
                    # A file says only restock: a restocked line is taken as a return, as before.
                    refund.lines.append(
                        MappedRefundLine(
                            line_platform_id=row["line_id"],
                            quantity=_int(row, "quantity", 1),
                            amount=money(row.get("line_amount"), currency, "line_amount"),
                            restock=restock,
                            returned=restock,
                        )
                    )
            yield Item(first_row, refund, None, 0)
        except MappingError as exc:
            yield Item(first_row, None, str(exc), 0)
