"""One shape for the order being screened, whether it is stored or only proposed at checkout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.errors import CommonError, Invalid, NotFound
from storeguard.core.money import validate_currency
from storeguard.core.prepared import Driver, Prepared
from storeguard.customers.enums import CustomerErrorCode
from storeguard.orders.line_properties import checked_properties
from storeguard.orders.models import Order
from storeguard.screening import reads
from storeguard.screening.errors import ScreeningError
from storeguard.screening.reads import ProductRow, ShopContext
from storeguard.shops.models import Product


@dataclass(slots=True)
class LineInput:
    """A line with the product facts screening reads (category, tags, flags)."""

    index: int
    product_id: int | None
    sku: str
    title: str
    quantity: int
    unit_price: int
    variant: dict[str, str] = field(default_factory=dict)
    category: str = ""
    tags: list[str] = field(default_factory=list)
    high_value: bool = False
    limited_edition: bool = False
    # What the buyer wrote on the line, as {"name", "value"} pairs (orders.line_properties).
    properties: list[dict[str, str]] = field(default_factory=list)
    line_item_id: int | None = None
    # False for a line whose product the catalogue does not have yet (screened as given).
    in_catalogue: bool = True

    def ref(self) -> dict[str, Any]:
        """Return how a reason names this line."""
        out: dict[str, Any] = {
            "index": self.index,
            "sku": self.sku,
            "title": self.title,
            "quantity": self.quantity,
        }
        if self.product_id is not None:
            out["product_id"] = self.product_id
        if self.line_item_id is not None:
            out["line_item_id"] = self.line_item_id
        return out


@dataclass(slots=True)
class OrderInput:
    """The order being screened; money in minor units of ``currency``."""

    shop_id: int
    currency: str
    subtotal: int
    shipping: int
    total: int
    lines: list[LineInput]
    email: str | None = None
    phone: str | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    browser_ip: str | None = None
    user_agent: str | None = None
    device_id: str | None = None
    payment_fingerprint: str | None = None
    card_bin: str | None = None
    card_last4: str | None = None
    card_expiry: str | None = None
    # What the checkout says beyond the identifiers: card checks, discounts, shipping, browser, buyer.
    card_brand: str | None = None
    card_funding: str | None = None
    card_country: str | None = None
    avs_result: str | None = None
    cvc_result: str | None = None
    discount: int = 0
    discount_codes: list[str] = field(default_factory=list)
    shipping_method: str | None = None
    accept_language: str | None = None
    customer_first_name: str | None = None
    customer_last_name: str | None = None
    customer_tags: list[str] = field(default_factory=list)
    customer_id: int | None = None
    order_id: int | None = None
    source: str = "checkout"
    created_at: datetime = field(default_factory=now)
    order: Order | None = None  # set when the order is stored
    shop: ShopContext | None = None  # read with the order (checkout), so screening need not read it again


CHECKOUT_KEYS = (
    "card_brand",
    "card_funding",
    "card_country",
    "avs_result",
    "cvc_result",
    "discount_codes",
    "shipping_method",
    "accept_language",
    "customer_first_name",
    "customer_last_name",
    "customer_tags",
)


def checkout_fields(checkout: dict[str, Any] | None) -> dict[str, Any]:
    """Return the stored checkout details as OrderInput's fields (an order stored before them has none)."""
    if not checkout:
        return {}
    out = {k: checkout[k] for k in CHECKOUT_KEYS if checkout.get(k) is not None}
    for k in ("discount_codes", "customer_tags"):
        if k in out:
            out[k] = [str(v) for v in out[k]]
    return out


def _product_line(index: int, product: Product | ProductRow | None, **kw: Any) -> LineInput:
    if product is None:
        return LineInput(index=index, product_id=None, **kw)
    return LineInput(
        index=index,
        product_id=product.id,
        category=product.category or "",
        tags=list(product.tags or []),
        high_value=bool(product.high_value),
        limited_edition=bool(product.limited_edition),
        **kw,
    )


def from_order(session: Session, order: Order) -> OrderInput:
    """Describe a stored order, with its products loaded in one query."""
    ids = {li.product_id for li in order.line_items if li.product_id is not None}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}
    lines = [
        _product_line(
            i,
            products.get(li.product_id) if li.product_id else None,
            sku=li.sku,
            title=li.title,
            quantity=li.quantity,
            unit_price=li.unit_price,
            variant=dict(li.variant or {}),
            properties=list(li.properties or ()),
            line_item_id=li.id,
        )
        for i, li in enumerate(order.line_items)
    ]
    return OrderInput(
        shop_id=order.shop_id,
        currency=order.currency,
        subtotal=order.subtotal,
        shipping=order.shipping,
        total=order.total,
        lines=lines,
        email=order.email,
        phone=order.phone,
        shipping_address=order.shipping_address,
        billing_address=order.billing_address,
        browser_ip=order.browser_ip,
        user_agent=order.user_agent,
        device_id=order.device_id,
        payment_fingerprint=order.payment_fingerprint,
        card_bin=order.card_bin,
        card_last4=order.card_last4,
        card_expiry=order.card_expiry,
        **checkout_fields(order.checkout),
        discount=order.discount,
        customer_id=order.customer_id,
        order_id=order.id,
        source=str(order.source),
        created_at=order.created_at or now(),
        order=order,
    )


def resolve_customer_id(
    session: Session | Driver, shop_id: int, customer_id: int | None, platform_customer_id: str | None
) -> int | None:
    """Find the shop's customer by id or platform id; refuse an id that is not the shop's."""
    if customer_id is not None:
        found = reads.customer_of_shop(session, shop_id, customer_id)
        if found is None:
            raise NotFound(
                CustomerErrorCode.customer_not_found,
                f"shop {shop_id} has no customer {customer_id}",
                field="customer_id",
            )
        return found
    if platform_customer_id:
        return reads.customer_by_platform_id(session, shop_id, platform_customer_id)
    return None


def from_screen_in(
    session: Session | Driver,
    body: Any,
    *,
    ahead: Sequence[tuple[Prepared, dict[str, Any], tuple[Any, ...]]] = (),
    created_at: datetime | None = None,
) -> OrderInput:
    """Describe a prospective order sent to ``POST /v1/screen``; 422 names what is wrong.

    ``ahead`` are reads screening makes next, sent with the shop's, customer's and products'
    (``engine.screen_at_checkout``) and left for it to take; ``created_at`` is the order's time.
    """
    # Checked before anything is read ahead: a refusal reads nothing and leaves nothing read ahead.
    properties = [
        checked_properties(line.properties, f"lines.{i}.properties") for i, line in enumerate(body.lines)
    ]
    if isinstance(session, Driver):  # the shop, customer and products in one round trip
        ids, skus = _wanted_products(body.lines)
        reads.checkout_ahead(
            session, body.shop_id, body.customer_id, body.platform_customer_id, ids, skus, ahead
        )
    shop = reads.shop_context(session, body.shop_id)
    if shop is None:
        raise NotFound(CommonError.shop_not_found, f"no shop {body.shop_id}", field="shop_id")
    currency = validate_currency(body.currency) if body.currency else shop.currency
    customer_id = resolve_customer_id(session, shop.id, body.customer_id, body.platform_customer_id)
    lines = resolve_lines(session, shop, body.lines, currency, properties)
    if isinstance(session, Driver) and not ahead:  # screening takes what was read for it
        session.forget_ahead()
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    if body.discount > subtotal + body.shipping:
        raise Invalid(
            ScreeningError.discount_too_large,
            f"the discount ({body.discount}) is more than the lines and shipping ({subtotal + body.shipping})",
            field="discount",
        )
    return OrderInput(
        shop_id=shop.id,
        currency=currency,
        subtotal=subtotal,
        shipping=body.shipping,
        total=subtotal + body.shipping - body.discount,
        lines=lines,
        email=body.email,
        phone=body.phone,
        shipping_address=body.shipping_address,
        billing_address=body.billing_address,
        browser_ip=body.browser_ip,
        user_agent=body.user_agent,
        device_id=body.device_id,
        payment_fingerprint=body.payment_fingerprint,
        card_bin=body.card_bin,
        card_last4=body.card_last4,
        card_expiry=body.card_expiry,
        **checkout_fields(body.checkout.model_dump() if body.checkout else None),
        discount=body.discount,
        customer_id=customer_id,
        source=body.source,
        shop=shop,
        **({"created_at": created_at} if created_at is not None else {}),
    )


def _wanted_products(lines: list[Any]) -> tuple[set[int], set[str]]:
    """Return the product ids and skus proposed lines name (a line with an id is found by it)."""
    ids = {line.product_id for line in lines if line.product_id is not None}
    skus = {line.sku for line in lines if line.product_id is None and line.sku}
    return ids, skus


def resolve_lines(
    session: Session | Driver,
    shop: ShopContext,
    lines: list[Any],
    currency: str,
    properties: list[list[dict[str, str]]],
) -> list[LineInput]:
    """Match proposed lines (product id or sku, quantity, optional price) to the shop's products.

    ``properties`` are each line's, already checked against the limits.
    """
    ids, skus = _wanted_products(lines)
    found = reads.products(session, shop.id, ids, skus)
    by_id = {p.id: p for p in found}
    by_sku = {p.sku: p for p in found}
    out: list[LineInput] = []
    for i, line in enumerate(lines):
        product = by_id.get(line.product_id) if line.product_id is not None else by_sku.get(line.sku)
        if product is None:
            # The catalogue can lag the shop (a product added minutes ago): checkout is screened
            # with what the line says, and a reason names the line, rather than refused.
            sku = line.sku or (f"product {line.product_id}" if line.product_id is not None else "")
            out.append(
                LineInput(
                    index=i,
                    product_id=None,
                    sku=sku,
                    title=line.title or sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price or 0,
                    variant=dict(line.variant or {}),
                    properties=properties[i],
                    in_catalogue=False,
                )
            )
            continue
        if line.unit_price is not None:
            price = line.unit_price
        elif currency == shop.currency:
            price = product.price
        else:
            raise Invalid(
                ScreeningError.price_required,
                f"give the price in {currency}; the catalogue is in {shop.currency}",
                field=f"lines.{i}.unit_price",
            )
        out.append(
            _product_line(
                i,
                product,
                sku=product.sku,
                title=line.title or product.title,
                quantity=line.quantity,
                unit_price=price,
                variant=dict(line.variant or {}),
                properties=properties[i],
            )
        )
    return out
