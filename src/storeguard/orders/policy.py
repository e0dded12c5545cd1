"""Pure rules and sums about an order's money, goods and states: no session, no I/O.

Every figure is computed from the rows the order already holds (its transactions and lines), so
the same function answers for an API read, an action's check and a test's invariant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from storeguard.core.money import to_decimal_str
from storeguard.orders.enums import (
    FinancialStatus,
    FulfillmentState,
    FulfillmentStatus,
    OrderStatus,
    TransactionKind,
    TransactionStatus,
)
from storeguard.orders.errors import OrderError

if TYPE_CHECKING:  # the bulk import's reader process uses the pure rules without loading the models
    from storeguard.orders.models import LineItem, Order, Transaction

_CAPTURING = (TransactionKind.capture, TransactionKind.sale)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a change is not allowed: a code for machines, a sentence for people."""

    code: OrderError
    message: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    """What happened to an order's money, in minor units of ``currency``."""

    currency: str
    authorized: int  # held at the gateway and not yet captured or voided
    captured: int
    refunded: int
    fees: int  # kept by the gateway; a refund never returns them
    net: int  # what the merchant keeps: captured - refunded - fees
    refundable: int  # captured - refunded


def _successful(transactions: Iterable[Transaction], *kinds: TransactionKind) -> list[Transaction]:
    return [t for t in transactions if t.status == TransactionStatus.success and t.kind in kinds]


def captured_amount(order: Order) -> int:
    """Return the money taken from the customer (captures and sales)."""
    return sum(t.amount for t in _successful(order.transactions, *_CAPTURING))


def refunded_amount(order: Order) -> int:
    """Return the money given back to the customer."""
    return sum(t.amount for t in _successful(order.transactions, TransactionKind.refund))


def fees_amount(order: Order) -> int:
    """Return the gateway fees the merchant paid on this order (never returned on refund)."""
    return sum(t.fee for t in order.transactions if t.status == TransactionStatus.success)


def refundable_amount(order: Order) -> int:
    """Return how much may still be refunded: what was captured less what was refunded."""
    return captured_amount(order) - refunded_amount(order)


def capturable_amount(order: Order) -> int:
    """Return the authorized money not yet captured or voided."""
    authorized = sum(t.amount for t in _successful(order.transactions, TransactionKind.authorization))
    captured = sum(t.amount for t in _successful(order.transactions, TransactionKind.capture))
    voided = sum(t.amount for t in _successful(order.transactions, TransactionKind.void))
    return max(0, authorized - captured - voided)


def net_amount(order: Order) -> int:
    """Return what the merchant keeps: captured - refunded - fees."""
    return captured_amount(order) - refunded_amount(order) - fees_amount(order)


def ledger(order: Order) -> Ledger:
    """Return every money figure of the order at once."""
    captured, refunded, fees = captured_amount(order), refunded_amount(order), fees_amount(order)
    return Ledger(
        currency=order.currency,
        authorized=capturable_amount(order),
        captured=captured,
        refunded=refunded,
        fees=fees,
        net=captured - refunded - fees,
        refundable=captured - refunded,
    )


def refunded_shipping(order: Order) -> int:
    """Return how much of the shipping charge has been refunded."""
    return sum(r.shipping_amount for r in order.refunds)


def refundable_shipping(order: Order) -> int:
    """Return how much of the shipping charge may still be refunded."""
    return max(0, order.shipping - refunded_shipping(order))


def refundable_quantity(line: LineItem) -> int:
    """Return how many units of a line have not been refunded yet."""
    return line.quantity - line.refunded_quantity


def refundable_quantities(order: Order) -> dict[int, int]:
    """Return, per line id, how many units may still be refunded."""
    return {line.id: refundable_quantity(line) for line in order.line_items}


def restockable_quantity(line: LineItem) -> int:
    """Return how many units of a line could still go back into stock."""
    return line.quantity - line.restocked_quantity


def fulfillable_quantity(line: LineItem) -> int:
    """Return how many units of a line are still to be shipped.

    Refunded units are not shipped. Whether a refund was of shipped or unshipped units is not
    recorded, so both are subtracted and the result floored at zero: never ship too much.
    """
    return max(0, line.quantity - line.fulfilled_quantity - line.refunded_quantity)


def line_refund_amount(line: LineItem, quantity: int) -> int:
    """Return the value of refunding ``quantity`` more units of a line.

    The line's total (after its discount) is spread over its units so that refunding every unit,
    in any number of steps, returns exactly the line total, never a minor unit more or less.
    """
    total, done = line.total, line.refunded_quantity
    return total * (done + quantity) // line.quantity - total * done // line.quantity


def refund_refusal(
    order: Order, *, lines: list[tuple[LineItem, int]], shipping: int, amount: int, kept: int = 0
) -> Refusal | None:
    """Tell why a refund of these line quantities, shipping and extra amount is not allowed.

    ``kept`` is what the merchant keeps of the lines' value (a restocking fee after a return).
    """
    for line, quantity in lines:
        if quantity > refundable_quantity(line):
            return Refusal(
                OrderError.quantity_exceeds_refundable,
                f"line {line.id} has {refundable_quantity(line)} refundable unit(s); {quantity} asked",
                "lines",
            )
    if shipping > refundable_shipping(order):
        return Refusal(
            OrderError.shipping_exceeds_refundable,
            f"{_money(shipping, order)} of shipping asked, but only "
            f"{_money(refundable_shipping(order), order)} is refundable",
            "shipping",
        )
    value = sum(line_refund_amount(line, quantity) for line, quantity in lines)
    if kept > value:
        return Refusal(
            OrderError.fee_exceeds_lines,
            f"{_money(kept, order)} kept, but the lines are worth {_money(value, order)}",
            "kept",
        )
    total = refund_total(lines=lines, shipping=shipping, amount=amount, kept=kept)
    if total == 0 and not lines:
        return Refusal(OrderError.nothing_to_refund, "a refund needs lines, shipping or an amount")
    if total > refundable_amount(order):
        return Refusal(
            OrderError.refund_exceeds_captured,
            f"{_money(total, order)} asked, but only {_money(refundable_amount(order), order)} of the "
            f"{_money(captured_amount(order), order)} captured is left to refund",
            "amount",
        )
    return None


def refund_total(*, lines: list[tuple[LineItem, int]], shipping: int, amount: int, kept: int = 0) -> int:
    """Return the money a refund returns: its lines' value less what is kept, the shipping and the extra amount."""
    return sum(line_refund_amount(line, quantity) for line, quantity in lines) - kept + shipping + amount


def cancel_blocker(order: Order) -> OrderError | None:
    """Return why the order cannot be cancelled, or None when it can."""
    if order.status == OrderStatus.cancelled:
        return OrderError.already_cancelled
    if order.status == OrderStatus.closed:
        return OrderError.order_closed
    states = {f.state for f in order.fulfillments}
    if FulfillmentState.open in states:
        return OrderError.fulfillment_active
    if FulfillmentState.delivered in states:
        return OrderError.fulfillment_delivered
    return None


def fulfill_blocker(order: Order) -> OrderError | None:
    """Return why nothing of the order may be shipped now, or None when it may."""
    if order.status == OrderStatus.cancelled:
        return OrderError.order_cancelled
    if order.status == OrderStatus.closed:
        return OrderError.order_closed
    if order.held:
        return OrderError.order_held
    return None


def financial_status(order: Order) -> FinancialStatus:
    """Derive the order's payment state from its transactions."""
    captured, refunded = captured_amount(order), refunded_amount(order)
    if captured > 0:
        if refunded >= captured:
            return FinancialStatus.refunded
        if refunded > 0:
            return FinancialStatus.partially_refunded
        return FinancialStatus.paid if captured >= order.total else FinancialStatus.partially_paid
    if capturable_amount(order) > 0:
        return FinancialStatus.authorized
    if _successful(order.transactions, TransactionKind.void):
        return FinancialStatus.voided
    return FinancialStatus.pending


def fulfillment_status(order: Order) -> FulfillmentStatus:
    """Derive the order's shipping state from its lines."""
    if not any(line.fulfilled_quantity for line in order.line_items):
        return FulfillmentStatus.unfulfilled
    if all(fulfillable_quantity(line) == 0 for line in order.line_items):
        return FulfillmentStatus.fulfilled
    return FulfillmentStatus.partial


def add_business_days(start: date, days: int) -> date:
    """Return the date ``days`` business days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def refund_arrival_window(refunded_on: date, min_days: int, max_days: int) -> tuple[date, date]:
    """Return the first and last day the customer can expect a refund to arrive."""
    return add_business_days(refunded_on, min_days), add_business_days(refunded_on, max_days)


def _money(minor: int, order: Order) -> str:
    """Format minor units for a message a person reads ("NOK 3990.00")."""
    return f"{order.currency} {to_decimal_str(minor, order.currency)}"
