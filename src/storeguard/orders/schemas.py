"""Order shapes on the wire.

Money is always integer minor units of the order's ISO 4217 currency: 19900 is 199.00 USD,
1500 is 1500 JPY, 1234 is 1.234 KWD. A JSON float (``199.0``) or a string (``"199.00"``) is
refused with 422 rather than guessed at.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from storeguard.core.schemas import Id, InputModel, MinorUnits, Moment, Quantity
from storeguard.orders import policy
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
from storeguard.orders.models import CancellationRequest, LineItem, Order

_In = InputModel


class CheckoutIn(InputModel):
    """What the checkout says beyond the identifiers, for rules: card checks, discounts, shipping, browser, buyer.

    Every field may be left out; a rule reading a missing one never fires (its fact is null).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "card_brand": "visa",
                    "card_funding": "credit",
                    "card_country": "NO",
                    "avs_result": "Y",
                    "cvc_result": "M",
                    "discount_codes": ["WELCOME10"],
                    "shipping_method": "Express",
                    "accept_language": "nb-NO,nb;q=0.9,en;q=0.8",
                    "customer_first_name": "Kari",
                    "customer_last_name": "Nordmann",
                    "customer_tags": ["wholesale"],
                }
            ]
        },
    )

    card_brand: str | None = Field(default=None, max_length=40, description="visa, mastercard, amex, ...")
    card_funding: Literal["credit", "debit", "prepaid", "unknown"] | None = None
    card_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", description="Issuing country.")
    avs_result: str | None = Field(
        default=None, max_length=4, description="The address check's code (Y, N, A, Z...)."
    )
    cvc_result: str | None = Field(
        default=None, max_length=4, description="The security code check's code (M, N...)."
    )
    discount_codes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    shipping_method: str | None = Field(default=None, max_length=200)
    accept_language: str | None = Field(
        default=None, max_length=300, description="The browser's Accept-Language."
    )
    customer_first_name: str | None = Field(default=None, max_length=200)
    customer_last_name: str | None = Field(default=None, max_length=200)
    customer_tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )


# ---- inputs -------------------------------------------------------------------------------------


class ProductRef(_In):
    """A line's product, named by its id or by its SKU: exactly one of them (every route says it so)."""

    product_id: Id | None = Field(default=None, description="A product of the shop; or give its sku.")
    sku: str | None = Field(default=None, max_length=100, description="The product's SKU; or give its id.")

    @model_validator(mode="after")
    def _one_product(self) -> ProductRef:
        if (self.product_id is None) == (self.sku is None or not self.sku.strip()):
            raise ValueError("give the line's product_id or its sku (one of them)")
        return self


class LinePropertyIn(_In):
    """One thing the buyer wrote on a line, as Shopify's ``line_items[].properties`` holds it."""

    name: str = Field(min_length=1, examples=["Engraving"])
    value: str = Field(examples=["K + O"])


LINE_PROPERTIES_DESCRIPTION = (
    "What the buyer wrote on the line (engraving, gift message): a list of {name, value} or a "
    "mapping of name to value; names starting with '_' are an app's own data. At most 50, names up to "
    "100 characters, values up to 1,000 (more is refused with line_properties_too_large)."
)
LineProperties = list[LinePropertyIn] | dict[str, str]


class LineCreate(ProductRef):
    quantity: Quantity
    unit_price: MinorUnits | None = Field(default=None, description="Defaults to the product's price.")
    discount: MinorUnits = Field(default=0, description="Discount on the whole line, minor units.")
    variant: dict[str, str] = Field(default_factory=dict, examples=[{"size": "M", "color": "red"}])
    properties: LineProperties = Field(
        default_factory=list,
        description=LINE_PROPERTIES_DESCRIPTION,
        examples=[[{"name": "Engraving", "value": "K + O"}]],
    )


class PaymentIn(_In):
    kind: Literal["authorization", "sale"] = Field(
        description="'authorization' holds the money for a later capture; 'sale' captures at once."
    )
    amount: MinorUnits | None = Field(default=None, description="Defaults to the order total.")
    fee: MinorUnits = Field(
        default=0,
        description="The gateway's fee on a sale (an authorization has none); never returned on refund.",
    )
    gateway: str = Field(default="manual", max_length=50, examples=["stripe"])
    gateway_reference: str | None = Field(default=None, max_length=128)


class OrderCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "shop_id": 1,
                    "customer_id": 1,
                    "currency": "USD",
                    "email": "kari@example.com",
                    "lines": [{"product_id": 1, "quantity": 2}],
                    "shipping": 900,
                    "tax": 0,
                    "payment": {"kind": "sale", "fee": 320, "gateway": "stripe"},
                }
            ]
        },
    )

    shop_id: Id
    customer_id: Id | None = None
    number: str | None = Field(default=None, max_length=50, description="Defaults to the shop's next number.")
    platform_id: str | None = Field(default=None, max_length=64)
    source: OrderSource = OrderSource.api
    currency: str = Field(
        min_length=3, max_length=3, description="ISO 4217, the shop's currency.", examples=["USD"]
    )
    lines: list[LineCreate] = Field(min_length=1)
    shipping: MinorUnits = 0
    tax: MinorUnits = 0
    discount: MinorUnits = Field(default=0, description="Order-level discount, minor units.")
    total: MinorUnits | None = Field(
        default=None, description="If sent, must equal lines + shipping + tax - discount (a checksum)."
    )
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    browser_ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=500, description="The buyer's browser.")
    device_id: str | None = Field(default=None, max_length=128)
    payment_fingerprint: str | None = Field(default=None, max_length=128)
    card_bin: str | None = Field(default=None, max_length=8)
    card_last4: str | None = Field(default=None, max_length=4)
    card_expiry: str | None = Field(
        default=None,
        pattern=r"^(0[1-9]|1[0-2])/\d{2}$",
        description="MM/YY. Without it a card's BIN and last four only make a possible match.",
    )
    checkout: CheckoutIn | None = Field(
        default=None,
        description="Card checks, discount codes, shipping method, browser and buyer, for rules.",
    )
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    payment: PaymentIn | None = Field(default=None, description="The first payment; none leaves it pending.")


class CancelOrderIn(_In):
    """Cancel stops processing and shipping. It moves no money unless ``refund`` is true."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "customer",
                    "refund": True,
                    "restock": True,
                    "notify_customer": True,
                    "staff_note": "Customer asked by phone, ticket 4411",
                }
            ]
        },
    )

    reason: CancelReason
    refund: bool = Field(default=False, description="Refund everything captured and not yet refunded.")
    restock: bool = Field(default=False, description="Put the lines back into stock.")
    notify_customer: bool = Field(default=False, description="Mail the customer the cancellation.")
    staff_note: str | None = Field(default=None, max_length=2000)


class RefundLineIn(_In):
    line_item_id: Id
    quantity: Quantity
    restock: bool = Field(default=False, description="Put these units back into stock.")


class RefundIn(_In):
    """A refund returns the lines' value + ``shipping`` + ``amount``, never more than was captured."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lines": [{"line_item_id": 1, "quantity": 1, "restock": True}],
                    "shipping": 0,
                    "amount": 0,
                    "reason": "returned",
                    "note": "RMA 118",
                    "notify_customer": True,
                },
                {"amount": 500, "reason": "goodwill", "note": "late delivery"},
            ]
        },
    )

    lines: list[RefundLineIn] = Field(default_factory=list)
    shipping: MinorUnits = Field(default=0, description="Shipping to give back, minor units.")
    amount: MinorUnits = Field(default=0, description="An extra amount on top of the lines and shipping.")
    reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)
    notify_customer: bool = False


class TransactionIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "capture", "amount": 10900, "fee": 320}, {"kind": "void"}]},
    )

    kind: Literal["capture", "void"]
    amount: MinorUnits | None = Field(
        default=None, description="Capture only; defaults to all that is authorized."
    )
    fee: MinorUnits = Field(default=0, description="Capture only: the gateway's fee.")
    gateway_reference: str | None = Field(default=None, max_length=128)


class FulfillLineIn(_In):
    line_item_id: Id
    quantity: Quantity


class FulfillOrderIn(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "carrier": "Posten",
                    "tracking_number": "70701234567890",
                    "tracking_url": "https://sporing.posten.no/sporing/70701234567890",
                }
            ]
        },
    )

    lines: list[FulfillLineIn] | None = Field(
        default=None, description="Omit to ship everything left to ship."
    )
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    tracking_url: str | None = Field(default=None, max_length=500)


class CancellationRequestCreate(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"channel": "email", "message": "Please cancel, I ordered the wrong size."}]
        },
    )

    channel: Literal["email", "chat", "phone", "form"] = "email"
    message: str | None = Field(default=None, max_length=5000)


class AcceptCancellationRequestIn(_In):
    refund: bool = True
    restock: bool = True
    notify_customer: bool = False
    staff_note: str | None = Field(default=None, max_length=2000)


class DeclineCancellationRequestIn(_In):
    staff_note: str | None = Field(default=None, max_length=2000)
    notify_customer: bool = False


class OrderFilter(BaseModel):
    status: OrderStatus | None = None
    financial_status: FinancialStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    customer_id: Id | None = None
    shop_id: Id | None = None
    created_from: Moment | None = None
    created_to: Moment | None = None
    held: bool | None = Field(
        default=None, description="Only orders held for review (true) or not held (false)."
    )
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Part of the order number, the email or the customer's name.",
    )


class AuditFilter(BaseModel):
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    actor: str | None = None


# ---- outputs ------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LinePropertyRead(_Out):
    name: str
    value: str


class LineItemRead(_Out):
    id: int
    product_id: int | None
    sku: str
    title: str
    variant: dict[str, str]
    properties: list[LinePropertyRead]
    quantity: int
    unit_price: int
    discount: int
    total: int
    fulfilled_quantity: int
    refunded_quantity: int
    restocked_quantity: int
    refundable_quantity: int
    fulfillable_quantity: int

    @classmethod
    def of(cls, line: LineItem) -> LineItemRead:
        """Describe a line with the quantities still open."""
        open_quantities = {
            "refundable_quantity": policy.refundable_quantity(line),
            "fulfillable_quantity": policy.fulfillable_quantity(line),
        }
        data = {name: getattr(line, name) for name in cls.model_fields if name not in open_quantities}
        return cls.model_validate({**data, **open_quantities})


class TransactionRead(_Out):
    id: int
    kind: TransactionKind
    status: TransactionStatus
    amount: int
    fee: int
    currency: str
    gateway: str
    gateway_reference: str | None
    parent_id: int | None
    refund_id: int | None
    created_at: datetime


class FulfillmentLineRead(_Out):
    line_item_id: int
    quantity: int


class FulfillmentRead(_Out):
    id: int
    order_id: int
    state: FulfillmentState
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    created_at: datetime
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: list[FulfillmentLineRead]


class RefundLineRead(_Out):
    line_item_id: int
    quantity: int
    amount: int
    restock: bool


class RefundRead(_Out):
    id: int
    order_id: int
    amount: int = Field(description="Everything returned, shipping included, minor units.")
    shipping_amount: int
    currency: str
    reason: str | None
    note: str | None
    actor: str
    expected_arrival_from: date = Field(description="First day the money can be expected back.")
    expected_arrival_to: date = Field(description="Last day the money should be back.")
    created_at: datetime
    lines: list[RefundLineRead]


class LedgerRead(_Out):
    currency: str
    authorized: int
    captured: int
    refunded: int
    fees: int
    net: int
    refundable: int


class OrderSummary(_Out):
    id: int
    shop_id: int
    customer_id: int | None
    number: str
    number_repeated: bool = Field(
        default=False, description="Another order of the shop already had this number (a platform name)."
    )
    currency: str
    total: int
    status: OrderStatus
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    held: bool
    email: str | None
    created_at: datetime


class OrderRead(OrderSummary):
    platform_id: str | None
    source: OrderSource
    subtotal: int
    shipping: int
    tax: int
    discount: int
    cancel_reason: CancelReason | None
    cancelled_at: datetime | None
    hold_reason: str | None
    phone: str | None
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    tags: list[str]
    note: str | None
    updated_at: datetime
    line_items: list[LineItemRead]
    transactions: list[TransactionRead]
    fulfillments: list[FulfillmentRead]
    refunds: list[RefundRead]
    ledger: LedgerRead

    @classmethod
    def of(cls, order: Order) -> OrderRead:
        """Describe an order with its lines, money and shipments."""
        data = {
            name: getattr(order, name) for name in cls.model_fields if name not in ("line_items", "ledger")
        }
        return cls.model_validate(
            {
                **data,
                "line_items": [LineItemRead.of(line) for line in order.line_items],
                "ledger": LedgerRead.model_validate(policy.ledger(order)),
            },
            from_attributes=True,
        )


class CancellationRequestRead(_Out):
    id: int
    order_id: int
    channel: str
    message: str | None
    status: CancellationRequestStatus
    created_at: datetime
    handled_by: str | None
    handled_at: datetime | None

    @classmethod
    def of(cls, request: CancellationRequest) -> CancellationRequestRead:
        """Describe a cancellation request."""
        return cls.model_validate(request)


class TimelineEntry(BaseModel):
    at: datetime
    action: str = Field(examples=["order.cancelled"])
    actor: str
    reason: str | None
    data: dict[str, Any] | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEventRead(_Out):
    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    data: dict[str, Any] | None
