"""Order, payment, fulfilment and refund states, in Shopify's vocabulary."""

from enum import StrEnum


class OrderStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"
    closed = "closed"


class FinancialStatus(StrEnum):
    pending = "pending"
    authorized = "authorized"
    partially_paid = "partially_paid"
    paid = "paid"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    voided = "voided"


class FulfillmentStatus(StrEnum):
    unfulfilled = "unfulfilled"
    partial = "partial"
    fulfilled = "fulfilled"


class CancelReason(StrEnum):
    customer = "customer"
    fraud = "fraud"
    inventory = "inventory"
    declined = "declined"
    other = "other"


class TransactionKind(StrEnum):
    authorization = "authorization"
    capture = "capture"
    sale = "sale"  # authorization and capture in one step
    void = "void"
    refund = "refund"


class TransactionStatus(StrEnum):
    success = "success"
    failure = "failure"
    pending = "pending"


class FulfillmentState(StrEnum):
    open = "open"  # created, shipped or in transit: blocks a cancel
    delivered = "delivered"
    cancelled = "cancelled"


class CancellationRequestStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"


class OrderSource(StrEnum):
    api = "api"
    shopify = "shopify"
    import_ = "import"
    demo = "demo"
