"""What the mirror writes: platform-neutral shapes every platform's mapping produces.

Every platform's payload is first turned into these (pure functions, no session), so one
writer mirrors Shopify webhooks, Shopify files and CSV rows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def quick_pickle(cls: type[T]) -> type[T]:
    """Pickle a slots dataclass as its class and a tuple of its fields.

    The dataclass default builds a state list in Python per object, which made sending mapped
    orders to the import's writer process cost about twice as much.
    """
    values = attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: T) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


class MappingError(ValueError):
    """A payload that cannot become a storeguard record, with the reason a person reads."""


@quick_pickle
@dataclass(slots=True)
class MappedCustomer:
    platform_id: str | None
    email: str | None = None
    phone: str | None = None
    first_name: str = ""
    last_name: str = ""
    locale: str = "en"
    platform_account_state: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    platform_updated_at: datetime | None = None


@quick_pickle
@dataclass(slots=True)
class MappedLine:
    platform_id: str | None
    title: str
    quantity: int
    unit_price: int
    sku: str = ""
    variant: dict[str, str] = field(default_factory=dict)
    discount: int = 0
    product_platform_id: str | None = None
    fulfilled_quantity: int = 0
    refunded_quantity: int = 0
    restocked_quantity: int = 0
    # What the buyer wrote on the line: {"name", "value"} pairs, within the limits (orders.line_properties).
    properties: list[dict[str, str]] = field(default_factory=list)


@quick_pickle
@dataclass(slots=True)
class MappedRefundLine:
    line_platform_id: str
    quantity: int
    amount: int
    restock: bool
    restock_type: str | None = None
    returned: bool = False  # the units came back from the customer (not a cancel, not money alone)


@quick_pickle
@dataclass(slots=True)
class MappedRefundTransaction:
    platform_id: str | None
    amount: int
    gateway: str
    reference: str | None
    status: str
    created_at: datetime | None


@quick_pickle
@dataclass(slots=True)
class MappedRefund:
    platform_id: str
    order_platform_id: str
    amount: int
    currency: str
    shipping_amount: int = 0
    note: str | None = None
    reason: str | None = None
    created_at: datetime | None = None
    lines: list[MappedRefundLine] = field(default_factory=list)
    transactions: list[MappedRefundTransaction] = field(default_factory=list)


@quick_pickle
@dataclass(slots=True)
class MappedFulfillment:
    platform_id: str
    order_platform_id: str
    state: str  # open, delivered, cancelled
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)  # (line platform id, quantity)


@quick_pickle
@dataclass(slots=True)
class MappedPayment:
    """The order's payment as the platform reports it: one authorization or sale."""

    kind: str  # authorization or sale
    amount: int
    gateway: str


@dataclass(slots=True)
class MappedTransaction:
    """One movement of money the platform reports on an order (order_transactions/create)."""

    platform_id: str
    order_platform_id: str
    kind: str  # authorization, capture, sale, void, refund
    status: str  # success, failure, pending, error
    amount: int
    gateway: str
    reference: str | None


@quick_pickle
@dataclass(slots=True)
class MappedOrder:
    platform_id: str
    number: str
    currency: str
    total: int
    subtotal: int = 0
    shipping: int = 0
    tax: int = 0
    discount: int = 0
    status: str = "open"
    financial_status: str = "pending"
    fulfillment_status: str = "unfulfilled"
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None
    closed_at: datetime | None = None
    email: str | None = None
    phone: str | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    browser_ip: str | None = None
    card_bin: str | None = None
    card_last4: str | None = None
    payment_fingerprint: str | None = None
    card_expiry: str | None = None  # MM/YY
    user_agent: str | None = None
    checkout: dict[str, Any] | None = None  # card checks, discount codes, shipping method, browser, buyer
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    created_at: datetime | None = None
    platform_updated_at: datetime | None = None
    customer: MappedCustomer | None = None
    lines: list[MappedLine] = field(default_factory=list)
    payment: MappedPayment | None = None
    refunds: list[MappedRefund] = field(default_factory=list)
    fulfillments: list[MappedFulfillment] = field(default_factory=list)


@dataclass(slots=True)
class MappedVariant:
    """One sellable variant of a platform product, with the product's tags and type."""

    platform_id: str  # "<product id>/<variant id>": a product's delete finds all its variants
    sku: str
    title: str
    price: int
    stock: int
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class MappedReturnLine:
    """Units of one order line in a platform's return, with storeguard's reason for them."""

    line_platform_id: str
    quantity: int
    reason: str  # a storeguard return reason (size, damaged, ...)
    platform_reason: str | None = None  # the platform's own, as it sent it


@dataclass(slots=True)
class MappedReturn:
    """A return as a platform reports it: its order, lines, reason, and why it was declined."""

    platform_id: str
    order_platform_id: str
    reason: str  # a storeguard return reason: the one of the most units
    lines: list[MappedReturnLine] = field(default_factory=list)
    name: str | None = None  # the platform's own name for it ("#1001-R1")
    note: str | None = None  # what the customer wrote
    decline_reason: str | None = None  # said to the customer, on a declined return
    requested_at: datetime | None = None
