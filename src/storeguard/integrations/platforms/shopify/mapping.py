"""Shopify REST shapes (as webhooks deliver them) → storeguard's mapped shapes. Pure functions."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.core.money import exponent, to_minor, validate_currency
from storeguard.customers.enums import PlatformAccountState
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.mirror.shapes import (
    MappedCustomer,
    MappedFulfillment,
    MappedLine,
    MappedOrder,
    MappedPayment,
    MappedRefund,
    MappedRefundLine,
    MappedRefundTransaction,
    MappedTransaction,
    MappingError,
)
from storeguard.integrations.platforms.common import timestamp
from storeguard.integrations.platforms.dispute_reasons import stripe_reason
from storeguard.orders.line_properties import bounded_properties, property_pairs

FINANCIAL = {"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
FULFILLMENT = {"fulfilled": "fulfilled", "partial": "partial"}
CANCEL_REASONS = {"customer", "fraud", "inventory", "declined", "other"}
RESTOCKING_TYPES = {"return", "cancel", "legacy_restock"}
# The restock types that mean the goods came back from the customer. ``cancel`` restocks units
# never shipped; ``legacy_restock`` (and the older refund-wide ``restock`` flag) predate the
# distinction and keep meaning a return, as they did before.
RETURNED_TYPES = {"return", "legacy_restock"}
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "province_code",
    "zip",
    "country",
    "country_code",
    "phone",
)


def platform_id(value: Any, what: str = "id") -> str:
    """Return a Shopify id as exact text; a float would have lost digits beyond 2^53."""
    if value.__class__ is int:  # the common shape first (bool is a subclass, never ``is int``)
        return str(value)
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{what} is missing")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        # gid://shopify/Order/820982911946154508 → 820982911946154508
        return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text
    raise MappingError(f"{what} {value!r} is not an integer or string id (floats lose digits)")


def optional_id(value: Any, what: str = "id") -> str | None:
    """Return an id as text, or None when absent."""
    if value.__class__ is int:
        return str(value)
    return None if value is None or value == "" else platform_id(value, what)


def money(value: Any, currency: str, what: str) -> int:
    """Convert a Shopify money string to minor units of ``currency``; missing is zero."""
    if value.__class__ is str:
        # The common shape, "123.45" in a currency already seen, without Decimal.
        exp = _EXPONENTS.get(currency)
        if exp is not None:
            whole, _, frac = value.partition(".")
            if len(frac) == exp and whole.isdigit() and frac.isdigit() and value.isascii():
                return int(whole + frac)
    if value in (None, ""):
        return 0
    if isinstance(value, dict):  # a MoneyBag {"shop_money": {"amount", "currency_code"}}
        value = (value.get("shop_money") or {}).get("amount")
        if value is None:
            return 0
    if isinstance(value, str):
        fast = _fast_minor(value, currency)
        if fast is not None:
            return fast
    if isinstance(value, float):
        value = exact_decimal(value, what)
    try:
        return to_minor(str(value) if isinstance(value, int) else value, currency, field=what)
    except Invalid as exc:
        raise MappingError(f"{what}: {exc.message}") from None


def exact_decimal(number: float, what: str) -> Decimal:
    """Return the decimal a JSON number was written as (Shopify sends ``195.66`` as well as ``"195.66"``).

    A decimal of at most 15 significant digits survives text -> double -> text unchanged, and
    ``repr`` gives that shortest text back, so the amount is exactly what was sent. A longer one
    may not be, and is refused rather than rounded.
    """
    if not math.isfinite(number):
        raise MappingError(f"{what}: {number!r} is not a finite amount")
    text = repr(number)
    value = Decimal(text)
    if len(value.as_tuple().digits) > 15:
        raise MappingError(
            f"{what}: {text} has more digits than a JSON number keeps exactly; send it as a string"
        )
    return value


_EXPONENTS: dict[str, int] = {}


def _fast_minor(value: str, currency: str) -> int | None:
    """Convert a plain "123.45" in an already valid currency without Decimal; None for anything else."""
    exp = _EXPONENTS.get(currency)
    if exp is None:
        return None
    whole, _, frac = value.partition(".")
    if not (whole.isdecimal() and whole.isascii()) or (frac and not (frac.isdecimal() and frac.isascii())):
        return None  # signs, exponents, spaces: the exact path decides
    frac = frac.rstrip("0")
    if len(frac) > exp:
        return None  # more decimals than the currency has: to_minor explains the refusal
    return int(whole + frac.ljust(exp, "0")) if exp else int(whole)


def known_currency(code: str) -> str:
    """Validate a currency once and remember its exponent for fast conversions."""
    try:
        upper = validate_currency(code)
    except Invalid as exc:
        raise MappingError(exc.message) from None
    _EXPONENTS.setdefault(upper, exponent(upper))
    return upper


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip() if value.__class__ is str else str(value).strip()
    return text or None


def address(data: Any) -> dict[str, Any] | None:
    """Keep the address fields storeguard compares, dropping empty ones."""
    if not isinstance(data, dict):
        return None
    kept = {}
    for k in ADDRESS_FIELDS:
        v = data.get(k)
        if v is None or v == "":
            continue
        kept[k] = v.strip() if v.__class__ is str else str(v).strip()
    return kept or None


def tags(value: Any) -> list[str]:
    """Split Shopify's comma-separated tags."""
    if value is None or value == "":
        return []  # no tags, the usual case
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return [t.strip() for t in str(value).split(",") if t.strip()]


PLATFORM_STATES = frozenset(str(s) for s in PlatformAccountState)


def map_customer(data: dict[str, Any]) -> MappedCustomer:
    """Map a Shopify customer."""
    if not isinstance(data, dict):
        raise MappingError("customer is not an object")
    state = str(data.get("state") or "").lower()
    return MappedCustomer(
        platform_id=platform_id(data.get("id"), "customer id"),
        email=_text(data.get("email")),
        phone=_text(data.get("phone")) or _text((data.get("default_address") or {}).get("phone")),
        first_name=(_text(data.get("first_name")) or "")[:100],
        last_name=(_text(data.get("last_name")) or "")[:100],
        locale=(_text(data.get("locale")) or "en")[:10],
        platform_account_state=state if state in PLATFORM_STATES else None,
        note=_text(data.get("note")),
        tags=tags(data.get("tags")),
        created_at=timestamp(data.get("created_at"), "customer created_at"),
        platform_updated_at=timestamp(data.get("updated_at"), "customer updated_at"),
    )


def variant_options(line: dict[str, Any]) -> dict[str, str]:
    """Return a line's variant options: named ones when given, else option1..n from the title."""
    options: dict[str, str] = {}
    named = line.get("variant_options") or line.get("options")
    if isinstance(named, list):
        for i, opt in enumerate(named, 1):
            if isinstance(opt, dict) and opt.get("name"):
                options[str(opt["name"]).lower()] = str(opt.get("value", ""))
            elif opt not in (None, ""):
                options[f"option{i}"] = str(opt)
    elif line.get("variant_title"):
        for i, value in enumerate(str(line["variant_title"]).split(" / "), 1):
            options[f"option{i}"] = value.strip()
    if line.get("variant_id") is not None:
        options["variant_id"] = platform_id(line["variant_id"], "variant id")
    return options


def map_line(line: dict[str, Any], currency: str) -> MappedLine:
    """Map a Shopify line item."""
    quantity = line.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise MappingError(f"line item quantity {quantity!r} is not a whole number")
    discount = money(line.get("total_discount"), currency, "line total_discount")
    if not discount and line.get("discount_allocations"):
        discount = sum(
            money(a.get("amount"), currency, "discount allocation") for a in line["discount_allocations"]
        )
    return MappedLine(
        platform_id=optional_id(line.get("id"), "line item id"),
        title=str(line.get("title") or line.get("name") or "")[:300],
        quantity=quantity,
        unit_price=money(line.get("price"), currency, "line price"),
        sku=str(line.get("sku") or "")[:100],
        variant=variant_options(line),
        discount=discount,
        product_platform_id=optional_id(line.get("product_id"), "product id"),
        properties=bounded_properties(property_pairs(line.get("properties"))),
    )


def _restocks(refund: dict[str, Any], item: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """Return whether a refund line restocks, whether its goods came back, and its restock type."""
    restock_type = item.get("restock_type")
    if restock_type:
        kind = str(restock_type)
        return kind in RESTOCKING_TYPES, kind in RETURNED_TYPES, kind
    restock = bool(refund.get("restock"))  # older shape: one flag for the whole refund
    return restock, restock, None


def map_refund(data: dict[str, Any], currency: str, order_platform_id: str | None = None) -> MappedRefund:
    """Map a Shopify refund: its lines (with restock type), transactions and shipping."""
    if not isinstance(data, dict):
        raise MappingError("refund is not an object")
    order_id = order_platform_id or platform_id(data.get("order_id"), "refund order_id")
    lines = []
    for item in data.get("refund_line_items") or []:
        restock, returned, restock_type = _restocks(data, item)
        line = item.get("line_item") or {}
        quantity = int(item.get("quantity") or 0)
        amount = (
            money(item["subtotal"], currency, "refund line subtotal")
            if item.get("subtotal") not in (None, "")
            else money(line.get("price"), currency, "refund line price") * quantity
        )
        lines.append(
            MappedRefundLine(
                line_platform_id=platform_id(
                    item.get("line_item_id") or line.get("id"), "refund line_item_id"
                ),
                quantity=quantity,
                amount=amount,
                restock=restock,
                restock_type=restock_type,
                returned=returned,
            )
        )
    transactions = []
    for tx in data.get("transactions") or []:
        if str(tx.get("kind")) != "refund":
            continue
        transactions.append(
            MappedRefundTransaction(
                platform_id=optional_id(tx.get("id"), "transaction id"),
                amount=money(tx.get("amount"), tx.get("currency") or currency, "refund transaction amount"),
                gateway=str(tx.get("gateway") or "shopify")[:50],
                reference=_text(tx.get("authorization")),
                status=str(tx.get("status") or "success"),
                created_at=timestamp(tx.get("created_at")),
            )
        )
    shipping = 0
    for adj in data.get("order_adjustments") or []:
        if adj.get("kind") == "shipping_refund":
            shipping += -money(adj.get("amount"), currency, "shipping refund")
    if isinstance(data.get("shipping"), dict) and data["shipping"].get("amount"):
        shipping = money(data["shipping"]["amount"], currency, "shipping refund")
    amount = sum(t.amount for t in transactions if t.status == "success")
    return MappedRefund(
        platform_id=platform_id(data.get("id"), "refund id"),
        order_platform_id=order_id,
        amount=amount,
        currency=currency,
        shipping_amount=shipping,
        note=_text(data.get("note")),
        created_at=timestamp(data.get("created_at"), "refund created_at"),
        lines=lines,
        transactions=transactions,
    )


def map_transaction(data: dict[str, Any], currency: str) -> MappedTransaction:
    """Map a Shopify order transaction; its amount is in its own currency, else the order's."""
    if not isinstance(data, dict):
        raise MappingError("transaction is not an object")
    currency = known_currency(str(data.get("currency") or currency))
    return MappedTransaction(
        platform_id=platform_id(data.get("id"), "transaction id"),
        order_platform_id=platform_id(data.get("order_id"), "transaction order_id"),
        kind=str(data.get("kind") or "").lower(),
        status=str(data.get("status") or "success").lower(),
        amount=money(data.get("amount"), currency, "transaction amount"),
        gateway=str(data.get("gateway") or "shopify")[:50],
        reference=_text(data.get("authorization")),
    )


def map_fulfillment(data: dict[str, Any], order_platform_id: str | None = None) -> MappedFulfillment:
    """Map a Shopify fulfillment; failed and cancelled ones no longer block a cancel."""
    status = str(data.get("status") or "open")
    shipment = str(data.get("shipment_status") or "")
    if status in {"cancelled", "error", "failure"}:
        state = "cancelled"
    elif shipment == "delivered":
        state = "delivered"
    else:
        state = "open"
    return MappedFulfillment(
        platform_id=platform_id(data.get("id"), "fulfillment id"),
        order_platform_id=order_platform_id or platform_id(data.get("order_id"), "fulfillment order_id"),
        state=state,
        carrier=_text(data.get("tracking_company")),
        tracking_number=_text(data.get("tracking_number")),
        tracking_url=_text(data.get("tracking_url")),
        created_at=timestamp(data.get("created_at")),
        delivered_at=timestamp(data.get("updated_at")) if state == "delivered" else None,
        lines=[
            (platform_id(li.get("id"), "fulfillment line id"), int(li.get("quantity") or 0))
            for li in data.get("line_items") or []
        ],
    )


def card_expiry_text(month: Any, year: Any) -> str | None:
    """Write a card's expiry month and year as ``MM/YY``; None when either is missing or unreadable."""
    try:
        m, y = int(month), int(year)
    except (TypeError, ValueError):
        return None
    return f"{m:02d}/{y % 100:02d}" if 1 <= m <= 12 and y >= 0 else None


def _card(order: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Return the card's BIN, last four digits and expiry (MM/YY), each None when Shopify leaves it out.

    The expiry is on the order's ``payment_details`` in older API versions and on its transactions'
    in newer ones; without it the BIN and last four name thousands of cards, not one.
    """
    details = order.get("payment_details")
    candidates = [details] + [
        t.get("payment_details") for t in order.get("transactions") or [] if isinstance(t, dict)
    ]
    found = [d for d in candidates if isinstance(d, dict)]
    if not found:
        return None, None, None  # no card details: most payloads, and every file export
    bin_ = next((_text(d.get("credit_card_bin")) for d in found if d.get("credit_card_bin")), None)
    number = next((_text(d.get("credit_card_number")) for d in found if d.get("credit_card_number")), "")
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    last4 = digits[-4:] if len(digits) >= 4 else None
    expiry = next(
        (
            text
            for d in found
            if (
                text := card_expiry_text(
                    d.get("credit_card_expiration_month"), d.get("credit_card_expiration_year")
                )
            )
        ),
        None,
    )
    return (bin_[:8] if bin_ else None), last4, expiry


def _short(value: Any, limit: int) -> str | None:
    text = _text(value)
    return text[:limit] if text else None


def checkout_details(
    order: dict[str, Any], client: dict[str, Any], customer: dict[str, Any]
) -> dict[str, Any] | None:
    """Return what rules read beyond the identifiers: card checks, discounts, shipping, browser, buyer.

    The card's brand and check results are on the order's ``payment_details`` (older API versions)
    or its transactions' (newer ones); Shopify gives no funding or issuing country.
    """
    found = [order.get("payment_details")] + [
        t.get("payment_details") for t in order.get("transactions") or [] if isinstance(t, dict)
    ]
    cards = [d for d in found if isinstance(d, dict)]

    def first(key: str, limit: int) -> str | None:
        return next((_short(d.get(key), limit) for d in cards if _text(d.get(key))), None)

    codes = [
        code[:100]
        for d in order.get("discount_codes") or []
        if isinstance(d, dict) and (code := _text(d.get("code")))
    ]
    shipping = next(
        (
            _short(s.get("title") or s.get("code"), 200)
            for s in order.get("shipping_lines") or []
            if isinstance(s, dict) and _text(s.get("title") or s.get("code"))
        ),
        None,
    )
    details = {
        "card_brand": first("credit_card_company", 40),
        "avs_result": first("avs_result_code", 4),
        "cvc_result": first("cvv_result_code", 4),
        "discount_codes": codes[:50],
        "shipping_method": shipping,
        "accept_language": _short(client.get("accept_language"), 300),
        "customer_first_name": _short(customer.get("first_name"), 200),
        "customer_last_name": _short(customer.get("last_name"), 200),
        "customer_tags": [t[:100] for t in tags(customer.get("tags"))][:100],
    }
    kept = {k: v for k, v in details.items() if v}
    return kept or None


def _payment(order: dict[str, Any], financial: str, total: int, currency: str) -> MappedPayment | None:
    names = order.get("payment_gateway_names") or []
    gateway = str(order.get("gateway") or (names[0] if names else "shopify"))[:50]
    if financial == "authorized":
        return MappedPayment("authorization", total, gateway)
    if financial in {"paid", "partially_refunded", "refunded"}:
        return MappedPayment("sale", total, gateway)
    if financial == "partially_paid":
        outstanding = money(order.get("total_outstanding"), currency, "total_outstanding")
        return MappedPayment("sale", max(0, total - outstanding), gateway)
    return None


def map_order(data: dict[str, Any]) -> MappedOrder:
    """Map a Shopify order with its customer, lines, refunds and fulfillments."""
    if not isinstance(data, dict):
        raise MappingError("order is not an object")
    oid = platform_id(data.get("id"), "order id")
    currency = known_currency(str(data.get("currency") or ""))
    total = money(data.get("total_price"), currency, "total_price")
    shipping_lines = data.get("shipping_lines") or []
    shipping = sum(money(s.get("price"), currency, "shipping line price") for s in shipping_lines)
    if not shipping_lines and data.get("total_shipping_price_set"):
        shipping = money(data["total_shipping_price_set"], currency, "total_shipping_price_set")
    financial = str(data.get("financial_status") or "pending")
    financial = financial if financial in FINANCIAL else "pending"
    fulfillment = FULFILLMENT.get(str(data.get("fulfillment_status")), "unfulfilled")
    cancelled_at = timestamp(data.get("cancelled_at"), "cancelled_at")
    closed_at = timestamp(data.get("closed_at"), "closed_at")
    reason = data.get("cancel_reason")
    cancel_reason = None
    if reason:
        cancel_reason = str(reason) if str(reason) in CANCEL_REASONS else "other"
    customer = (
        map_customer(data["customer"])
        if isinstance(data.get("customer"), dict) and data["customer"].get("id") is not None
        else None
    )
    client = data.get("client_details") or {}
    customer_data = data["customer"] if isinstance(data.get("customer"), dict) else {}
    card_bin, last4, expiry = _card(data)
    lines = [map_line(li, currency) for li in data.get("line_items") or []]
    refunds = [map_refund(r, currency, oid) for r in data.get("refunds") or []]
    fulfillments = [map_fulfillment(f, oid) for f in data.get("fulfillments") or []]
    _count_line_movements(lines, refunds, fulfillments)
    number = data.get("name") or (f"#{data['order_number']}" if data.get("order_number") else None)
    return MappedOrder(
        platform_id=oid,
        number=str(number or f"#{oid}")[:50],
        currency=currency,
        total=total,
        subtotal=money(data.get("subtotal_price"), currency, "subtotal_price"),
        shipping=shipping,
        tax=money(data.get("total_tax"), currency, "total_tax"),
        discount=money(data.get("total_discounts"), currency, "total_discounts"),
        status="cancelled" if cancelled_at else ("closed" if closed_at else "open"),
        financial_status=financial,
        fulfillment_status=fulfillment,
        cancel_reason=cancel_reason,
        cancelled_at=cancelled_at,
        closed_at=closed_at,
        email=_text(data.get("email") or data.get("contact_email")) or (customer.email if customer else None),
        phone=_text(data.get("phone")) or (customer.phone if customer else None),
        shipping_address=address(data.get("shipping_address")),
        billing_address=address(data.get("billing_address")),
        browser_ip=_text(client.get("browser_ip")) or _text(data.get("browser_ip")),
        user_agent=(_text(client.get("user_agent")) or "")[:500] or None,
        checkout=checkout_details(data, client, customer_data),
        card_bin=card_bin,
        card_last4=last4,
        card_expiry=expiry,
        # Shopify gives no gateway fingerprint: the card is its BIN, last four and expiry above.
        payment_fingerprint=None,
        tags=tags(data.get("tags")),
        note=_text(data.get("note")),
        created_at=timestamp(data.get("created_at"), "created_at"),
        platform_updated_at=timestamp(data.get("updated_at"), "updated_at"),
        customer=customer,
        lines=lines,
        payment=_payment(data, financial, total, currency),
        refunds=refunds,
        fulfillments=fulfillments,
    )


def _count_line_movements(
    lines: list[MappedLine], refunds: list[MappedRefund], fulfillments: list[MappedFulfillment]
) -> None:
    by_id = {line.platform_id: line for line in lines if line.platform_id}
    for refund in refunds:
        for rl in refund.lines:
            if rl.line_platform_id in by_id:
                by_id[rl.line_platform_id].refunded_quantity += rl.quantity
                if rl.restock:
                    by_id[rl.line_platform_id].restocked_quantity += rl.quantity
    for ful in fulfillments:
        if ful.state == "cancelled":
            continue
        for line_id, quantity in ful.lines:
            if line_id in by_id:
                by_id[line_id].fulfilled_quantity += quantity


DISPUTE_STATUS = {
    "needs_response": "needs_response",
    "under_review": "under_review",
    "charge_refunded": "accepted",
    "accepted": "accepted",
    "won": "won",
    "lost": "lost",
}


def map_dispute(data: dict[str, Any]) -> DisputeReport:
    """Map a Shopify Payments dispute; an inquiry's states are the warning_ ones."""
    currency = str(data.get("currency") or "")
    try:
        currency = validate_currency(currency)
    except Invalid as exc:
        raise MappingError(exc.message) from None
    status = DISPUTE_STATUS.get(str(data.get("status")), "under_review")
    if data.get("type") == "inquiry" and status in {"needs_response", "under_review"}:
        status = f"warning_{status}"
    elif data.get("type") == "inquiry" and status in {"won", "lost", "accepted"}:
        status = "warning_closed"
    return DisputeReport(
        gateway="shopify_payments",
        gateway_dispute_id=platform_id(data.get("id"), "dispute id"),
        amount=money(data.get("amount"), currency, "dispute amount"),
        currency=currency,
        status=status,
        gateway_status=_text(data.get("status")),
        reason=stripe_reason(str(data.get("reason") or "general")),
        gateway_reason=_text(data.get("reason")),
        evidence_due_at=timestamp(data.get("evidence_due_by")),
        opened_at=timestamp(data.get("initiated_at")),
        order_platform_id=optional_id(data.get("order_id"), "dispute order_id"),
    )
