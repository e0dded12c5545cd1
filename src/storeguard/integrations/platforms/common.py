"""Platform-neutral shapes that mapping functions produce and the writers store.

Every platform's payload is first turned into these (pure functions, no session), so one
writer mirrors Shopify webhooks, Shopify files and CSV rows the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, TypeVar

from storeguard.core.clock import ensure_utc

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


class NotReady(Exception):
    """The delivery depends on something not yet received (a refund before its order): retry later."""


# Platforms' payloads nest a handful of levels; far deeper is an attack or a broken sender, and
# would only fail again on every retry.
PAYLOAD_DEPTH_MAX = 64


def parse_body(body: bytes) -> dict[str, Any]:
    """Parse a webhook body to a JSON object, or raise MappingError (never worth retrying)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MappingError("the body is not JSON") from None
    except RecursionError:
        raise MappingError(f"the body is nested deeper than {PAYLOAD_DEPTH_MAX} levels") from None
    if not isinstance(data, dict):
        raise MappingError("the body is not a JSON object")
    if _depth(data) > PAYLOAD_DEPTH_MAX:
        raise MappingError(f"the body is nested deeper than {PAYLOAD_DEPTH_MAX} levels")
    return data


def _depth(document: Any) -> int:
    """Return how deep a parsed JSON document nests, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth <= PAYLOAD_DEPTH_MAX:
                stack.extend(
                    (item, depth + 1) for item in (value.values() if isinstance(value, dict) else value)
                )
    return deepest


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


@quick_pickle
@dataclass(slots=True)
class MappedRefundLine:
    line_platform_id: str
    quantity: int
    amount: int
    restock: bool
    restock_type: str | None = None


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
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    created_at: datetime | None = None
    platform_updated_at: datetime | None = None
    customer: MappedCustomer | None = None
    lines: list[MappedLine] = field(default_factory=list)
    payment: MappedPayment | None = None
    refunds: list[MappedRefund] = field(default_factory=list)
    fulfillments: list[MappedFulfillment] = field(default_factory=list)


def stamp(ts: int | float | None) -> datetime | None:
    """Turn a Unix timestamp (Stripe's ``created``, ``due_by``) into aware UTC."""
    return None if ts is None else datetime.fromtimestamp(int(ts), UTC)


_fromisoformat = datetime.fromisoformat  # looked up once: called for every time in a file


def timestamp(value: Any, what: str = "timestamp") -> datetime | None:
    """Parse an ISO 8601 timestamp to aware UTC; None when absent."""
    if value is None or value == "":
        return None
    text = value if value.__class__ is str else str(value)
    try:
        parsed = _fromisoformat(text.replace("Z", "+00:00"))
        # Already UTC (Shopify's "...Z", "+00:00"): no conversion to make.
        return parsed if parsed.tzinfo is UTC else ensure_utc(parsed)
    except ValueError:
        raise MappingError(f"{what} {value!r} is not an ISO 8601 timestamp") from None
