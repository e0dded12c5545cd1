"""What the order pages show, decided here from ``policy`` so that templates only draw it.

Labels are English texts marked for the catalogs; a template translates them when it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.orders import policy
from storeguard.orders.enums import (
    CancelReason,
    FinancialStatus,
    FulfillmentState,
    FulfillmentStatus,
    OrderStatus,
    TransactionKind,
    TransactionStatus,
)
from storeguard.orders.errors import OrderError
from storeguard.orders.line_properties import is_private
from storeguard.orders.models import LineItem, Order
from storeguard.web.i18n import N_
from storeguard.web.timeline import register_event_words

# (label, tone): the tone colours a badge, the label always says the same in words.
ORDER_STATUS = {
    OrderStatus.open: (N_("Open"), "plain"),
    OrderStatus.cancelled: (N_("Cancelled"), "bad"),
    OrderStatus.closed: (N_("Closed"), "plain"),
}
FINANCIAL_STATUS = {
    FinancialStatus.pending: (N_("Payment pending"), "warn"),
    FinancialStatus.authorized: (N_("Authorized"), "warn"),
    FinancialStatus.partially_paid: (N_("Partially paid"), "warn"),
    FinancialStatus.paid: (N_("Paid"), "ok"),
    FinancialStatus.partially_refunded: (N_("Partially refunded"), "info"),
    FinancialStatus.refunded: (N_("Refunded"), "info"),
    FinancialStatus.voided: (N_("Voided"), "plain"),
}
FULFILLMENT_STATUS = {
    FulfillmentStatus.unfulfilled: (N_("Unfulfilled"), "warn"),
    FulfillmentStatus.partial: (N_("Partially fulfilled"), "warn"),
    FulfillmentStatus.fulfilled: (N_("Fulfilled"), "ok"),
}
FULFILLMENT_STATE = {
    FulfillmentState.open: (N_("In progress"), "warn"),
    FulfillmentState.delivered: (N_("Delivered"), "ok"),
    FulfillmentState.cancelled: (N_("Cancelled"), "plain"),
}
HELD = (N_("Held for review"), "warn")
CANCEL_REASONS = {
    CancelReason.customer: N_("The customer asked"),
    CancelReason.fraud: N_("Fraud"),
    CancelReason.inventory: N_("Out of stock"),
    CancelReason.declined: N_("Payment declined"),
    CancelReason.other: N_("Other"),
}
TRANSACTION_KINDS = {
    TransactionKind.authorization: N_("Authorization"),
    TransactionKind.capture: N_("Capture"),
    TransactionKind.sale: N_("Sale"),
    TransactionKind.void: N_("Void"),
    TransactionKind.refund: N_("Refund"),
}
TRANSACTION_STATUS = {
    TransactionStatus.success: (N_("Succeeded"), "ok"),
    TransactionStatus.failure: (N_("Failed"), "bad"),
    TransactionStatus.pending: (N_("Pending"), "warn"),
}
# What happened to an order, as its timeline and the audit log say it.
register_event_words(
    {
        "order.created": N_("Order placed"),
        "order.screened": N_("Order screened"),
        "order.held": N_("Held for review"),
        "order.hold_updated": N_("Hold updated"),
        "order.cancelled": N_("Order cancelled"),
        "order.refunded": N_("Refund issued"),
        "order.refund_reported": N_("Refund reported by the platform"),
        "order.fraud_warning_received": N_("Fraud warning received"),
        "payment.captured": N_("Payment captured"),
        "payment.voided": N_("Authorization voided"),
        "fulfillment.created": N_("Fulfilment created"),
        "fulfillment.cancelled": N_("Fulfilment cancelled"),
        "fulfillment.delivered": N_("Delivered"),
        "cancellation_request.recorded": N_("Customer asked to cancel"),
        "cancellation_request.accepted": N_("Cancellation request accepted"),
        "cancellation_request.declined": N_("Cancellation request declined"),
        "review.approved": N_("Approved in review"),
        "review.cancelled": N_("Cancelled in review"),
        "review.note_added": N_("Review note added"),
        "verification.required": N_("Verification required"),
        "verification.satisfied": N_("Verification satisfied"),
        "verification.failed": N_("Verification failed"),
        "verification.waived": N_("Verification waived"),
        "dispute.opened": N_("Dispute opened"),
    }
)
# Why a cancel is refused, in a sentence a page shows (``cancel_blocker``'s codes).
CANCEL_BLOCKERS = {
    OrderError.already_cancelled: N_("This order is already cancelled."),
    OrderError.order_closed: N_("This order is closed."),
    OrderError.fulfillment_active: N_(
        "This order has a fulfilment in progress. Cancel the fulfilment first, then cancel the order."
    ),
    OrderError.fulfillment_delivered: N_(
        "This order was delivered. Take the goods back with a return and refund it instead."
    ),
}


@dataclass(frozen=True)
class LineView:
    """A line with the quantities still open."""

    line: LineItem
    refundable: int
    fulfillable: int
    # What the buyer wrote on the line, and apart from it an app's own data ("_" names).
    properties: list[dict[str, str]] = field(default_factory=list)
    app_properties: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Offers:
    """Which order actions its state allows now (whether the user may is the permission table's)."""

    cancel: bool
    refund: bool
    capture: bool
    void: bool
    fulfil: bool


@dataclass(frozen=True)
class OrderView:
    """Everything the order page shows of one order."""

    order: Order
    customer: Customer | None
    ledger: policy.Ledger
    lines: list[LineView]
    refundable_shipping: int
    capturable: int
    cancel_blocker: OrderError | None
    offers: Offers
    open_fulfillments: list[int] = field(default_factory=list)


def order_view(session: Session, order: Order) -> OrderView:
    """Describe an order for its page: money, open quantities, and what may be done now."""
    ledger = policy.ledger(order)
    lines = [
        LineView(
            line,
            policy.refundable_quantity(line),
            policy.fulfillable_quantity(line),
            [p for p in line.properties or () if not is_private(p["name"])],
            [p for p in line.properties or () if is_private(p["name"])],
        )
        for line in order.line_items
    ]
    blocker = policy.cancel_blocker(order)
    capturable = policy.capturable_amount(order)
    offers = Offers(
        # Offered while a fulfilment is open too: the dialog then says why it cannot be done yet.
        cancel=blocker not in (OrderError.already_cancelled, OrderError.order_closed),
        refund=ledger.refundable > 0,
        capture=capturable > 0 and order.status == OrderStatus.open,
        void=capturable > 0,
        fulfil=policy.fulfill_blocker(order) is None and any(v.fulfillable > 0 for v in lines),
    )
    customer = session.get(Customer, order.customer_id) if order.customer_id is not None else None
    return OrderView(
        order=order,
        customer=customer,
        ledger=ledger,
        lines=lines,
        refundable_shipping=policy.refundable_shipping(order),
        capturable=capturable,
        cancel_blocker=blocker,
        offers=offers,
        open_fulfillments=[f.id for f in order.fulfillments if f.state == FulfillmentState.open],
    )


def customers_of(session: Session, orders: list[Order]) -> dict[int, Customer]:
    """Return the customers of a page of orders, by id, in one statement."""
    ids = {o.customer_id for o in orders if o.customer_id is not None}
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
