"""Actions on an order's money: capture, void, refund. Each locks the order, flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import CommonError, Conflict, Invalid
from storeguard.core.events import publish
from storeguard.core.money import to_decimal_str
from storeguard.orders import policy
from storeguard.orders.enums import OrderStatus, TransactionKind, TransactionStatus
from storeguard.orders.errors import OrderError
from storeguard.orders.inventory import restock_line
from storeguard.orders.locking import (
    lock_order,
    lock_products,
    order_state,
    queue_customer_mail,
    refresh_statuses,
    refund_words,
    refuse,
    require_email,
)
from storeguard.orders.models import LineItem, Order, Refund, RefundLine, Transaction
from storeguard.shops.policy import platform_mails_customers
from storeguard.shops.service import get_shop


@dataclass(frozen=True, slots=True)
class RefundLineSpec:
    """Refund ``quantity`` units of a line, and put them back into stock if ``restock``."""

    line_item_id: int
    quantity: int
    restock: bool = False


def check_amount(value: object, field: str, *, positive: bool = False) -> int:
    """Return ``value`` if it is whole minor units (an int, never a float), else refuse."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(CommonError.invalid_amount, f"{field} must be integer minor units", field=field)
    if value < 0 or (positive and value == 0):
        bound = "greater than zero" if positive else "zero or more"
        raise Invalid(CommonError.invalid_amount, f"{field} must be {bound}; got {value}", field=field)
    return value


def capture_payment(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    amount: int | None = None,
    fee: int = 0,
    gateway_reference: str | None = None,
) -> Transaction:
    """Capture authorized money: all that is left by default, or ``amount`` of it."""
    check_amount(fee, "fee")
    if amount is not None:
        check_amount(amount, "amount", positive=True)
    order = lock_order(session, order_id)
    if order.status == OrderStatus.cancelled:
        raise Conflict(OrderError.order_cancelled, f"order {order.number} is cancelled")
    capturable = policy.capturable_amount(order)
    if capturable == 0:
        raise Conflict(
            OrderError.not_authorized_payment, f"order {order.number} has no authorized payment to capture"
        )
    amount = capturable if amount is None else amount
    if amount > capturable:
        raise Conflict(
            OrderError.capture_exceeds_authorized,
            f"{order.currency} {to_decimal_str(amount, order.currency)} asked, but only "
            f"{order.currency} {to_decimal_str(capturable, order.currency)} is authorized and uncaptured",
            field="amount",
        )
    before = order_state(order)
    parent = _latest(order, TransactionKind.authorization)
    capture = Transaction(
        status=TransactionStatus.success,
        kind=TransactionKind.capture,
        amount=amount,
        fee=fee,
        currency=order.currency,
        parent_id=parent.id if parent else None,
        gateway=parent.gateway if parent else "manual",
        gateway_reference=gateway_reference,
        created_at=now(),
    )
    order.transactions.append(capture)
    refresh_statuses(order)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="payment.captured",
        subject_type="order",
        subject_id=order.id,
        before=before,
        after=order_state(order),
        data={"transaction_id": capture.id, "amount": amount, "fee": fee, "currency": order.currency},
    )
    return capture


def void_authorization(session: Session, *, order_id: int, actor: Actor) -> Transaction:
    """Release the authorized money that was not captured, so the customer's card is freed."""
    order = lock_order(session, order_id)
    before = order_state(order)
    void = void_outstanding(order)
    if void is None:
        raise Conflict(OrderError.nothing_to_void, f"order {order.number} has no uncaptured authorization")
    session.flush()
    record_event(
        session,
        actor=actor,
        action="payment.voided",
        subject_type="order",
        subject_id=order.id,
        before=before,
        after=order_state(order),
        data={"transaction_id": void.id, "amount": void.amount, "currency": order.currency},
    )
    return void


def void_outstanding(order: Order) -> Transaction | None:
    """Void whatever authorization is left uncaptured on a locked order; None if nothing is."""
    capturable = policy.capturable_amount(order)
    if capturable == 0:
        return None
    parent = _latest(order, TransactionKind.authorization)
    void = Transaction(
        status=TransactionStatus.success,
        kind=TransactionKind.void,
        amount=capturable,
        fee=0,
        currency=order.currency,
        parent_id=parent.id if parent else None,
        gateway=parent.gateway if parent else "manual",
        created_at=now(),
    )
    order.transactions.append(void)
    refresh_statuses(order)
    return void


def refund_order(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    lines: Sequence[RefundLineSpec] = (),
    shipping: int = 0,
    amount: int = 0,
    reason: str | None = None,
    note: str | None = None,
    notify_customer: bool = False,
    kept: int = 0,
    returned: bool | None = None,
) -> Refund:
    """Return money by lines (restocking those asked), shipping, and/or an extra amount.

    The refund returns the lines' value less ``kept`` (a restocking fee), plus ``shipping`` plus
    ``amount``; it never takes the total refunded above what was captured, and the gateway's fees
    are not given back. ``returned`` says whether the lines' goods came back (a return's refund
    says so whatever is restocked); by default a restocked line came back and another did not.
    """
    check_amount(shipping, "shipping")
    check_amount(amount, "amount")
    check_amount(kept, "kept")
    order = lock_order(session, order_id)
    require_email(order, notify_customer)
    picked = _pick_lines(order, lines)
    quantities = [(line, quantity) for line, quantity, _ in picked]
    refusal = policy.refund_refusal(order, lines=quantities, shipping=shipping, amount=amount, kept=kept)
    if refusal is not None:
        raise refuse(refusal)
    before = order_state(order)
    total = policy.refund_total(lines=quantities, shipping=shipping, amount=amount, kept=kept)
    refund, restocked = issue_refund(
        session,
        order,
        actor=actor,
        lines=picked,
        shipping=shipping,
        total=total,
        reason=reason,
        note=note,
        returned=returned,
    )
    _record_refund(
        session, order, refund, actor=actor, before=before, restocked=restocked, notify=notify_customer
    )
    if notify_customer and not platform_mails_customers(get_shop(session, order.shop_id), order.platform_id):
        _notify_refund(session, order, refund)
    return refund


def record_gateway_refund(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    gateway: str,
    reference: str,
    amount: int,
    currency: str,
    succeeded: bool,
    reason: str | None = None,
    refunded_at: datetime | None = None,
) -> Refund | None:
    """Record a refund a payment gateway made on the order (a Stripe ``re_``), once per reference.

    The money has already moved, so nothing is sent anywhere; the order's ledger, statuses and
    audit then read exactly as if staff had refunded the amount here. None when already recorded.
    """
    check_amount(amount, "amount", positive=True)
    order = lock_order(session, order_id)
    if any(t.kind == TransactionKind.refund and t.gateway_reference == reference for t in order.transactions):
        return None
    if currency != order.currency:
        raise Invalid(
            OrderError.currency_mismatch,
            f"the refund is in {currency} but order {order.number} is in {order.currency}",
            field="currency",
        )
    refusal = policy.refund_refusal(order, lines=[], shipping=0, amount=amount)
    if refusal is not None:
        raise refuse(refusal)
    before = order_state(order)
    refund, restocked = issue_refund(
        session,
        order,
        actor=actor,
        lines=[],
        shipping=0,
        total=amount,
        reason=reason,
        note=None,
        gateway=gateway,
        gateway_reference=reference,
        succeeded=succeeded,
        at=refunded_at,
    )
    _record_refund(
        session,
        order,
        refund,
        actor=actor,
        before=before,
        restocked=restocked,
        notify=False,
        reported_by=gateway,
    )
    return refund


def _record_refund(
    session: Session,
    order: Order,
    refund: Refund,
    *,
    actor: Actor,
    before: dict[str, Any],
    restocked: dict[int, int],
    notify: bool,
    reported_by: str | None = None,
) -> None:
    """Audit a refund and publish it; a refund a gateway reported is not made again on a platform."""
    record_event(
        session,
        actor=actor,
        action="order.refunded",
        subject_type="order",
        subject_id=order.id,
        reason=refund.reason,
        before=before,
        after=order_state(order),
        data={**refund_facts(refund), "restocked": restocked, "note": refund.note},
    )
    # A platform's order is refunded on the platform too (its subscriber listens), and a platform
    # that mails its own customers is asked to notify instead of storeguard mailing twice.
    publish(
        session,
        "order.refunded",
        shop_id=order.shop_id,
        subject_type="order",
        subject_id=order.id,
        data={"refund_id": refund.id, "notify_customer": notify, "reported_by": reported_by},
    )


def refund_line_items(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    lines: Sequence[RefundLineSpec],
    reason: str | None = None,
    note: str | None = None,
    notify_customer: bool = False,
) -> Refund:
    """Refund some units of some lines, restocking the ones marked so (e.g. after a return)."""
    return refund_order(
        session,
        order_id=order_id,
        actor=actor,
        lines=lines,
        reason=reason,
        note=note,
        notify_customer=notify_customer,
    )


def issue_refund(
    session: Session,
    order: Order,
    *,
    actor: Actor,
    lines: list[tuple[LineItem, int, bool]],
    shipping: int,
    total: int,
    reason: str | None,
    note: str | None,
    gateway: str | None = None,
    gateway_reference: str | None = None,
    succeeded: bool = True,
    at: datetime | None = None,
    returned: bool | None = None,
) -> tuple[Refund, dict[int, int]]:
    """Write an allowed refund on a locked order; return it and the units restocked per line.

    The caller has checked the refund against policy; ``total`` is the money returned. A refund a
    gateway made carries its ``gateway_reference`` and the moment it was made (``at``).
    ``returned`` marks every line as goods back from the customer or none; None: those restocked.
    """
    settings = get_settings()
    at = at or now()
    arrival_from, arrival_to = policy.refund_arrival_window(
        at.date(), settings.refund_arrival_min_business_days, settings.refund_arrival_max_business_days
    )
    refund = Refund(
        platform_id=gateway_reference if gateway else None,
        amount=total,
        shipping_amount=shipping,
        currency=order.currency,
        reason=reason,
        note=note,
        actor=str(actor),
        expected_arrival_from=arrival_from,
        expected_arrival_to=arrival_to,
        created_at=at,
    )
    products = lock_products(
        session, [line.product_id for line, _, restock in lines if restock and line.product_id]
    )
    restocked: dict[int, int] = {}
    for line, quantity, restock in lines:
        value = policy.line_refund_amount(line, quantity)  # before the quantity below moves
        refund.lines.append(
            RefundLine(
                line_item_id=line.id,
                quantity=quantity,
                amount=value,
                restock=restock,
                returned=restock if returned is None else returned,
            )
        )
        line.refunded_quantity += quantity
        if restock:
            restocked[line.id] = restock_line(session, order, line, quantity, products)
    order.refunds.append(refund)
    session.flush()
    if total > 0:
        parent = _latest(order, TransactionKind.capture, TransactionKind.sale)
        order.transactions.append(
            Transaction(
                status=TransactionStatus.success if succeeded else TransactionStatus.pending,
                kind=TransactionKind.refund,
                amount=total,
                fee=0,
                currency=order.currency,
                parent_id=parent.id if parent else None,
                refund_id=refund.id,
                gateway=gateway or (parent.gateway if parent else "manual"),
                gateway_reference=gateway_reference,
                platform_id=gateway_reference if gateway else None,
                created_at=at,
            )
        )
    refresh_statuses(order)
    session.flush()
    return refund, restocked


def refund_facts(refund: Refund) -> dict[str, Any]:
    """Return what an audit event or a notice says about a refund."""
    return {
        "refund_id": refund.id,
        "amount": refund.amount,
        "shipping": refund.shipping_amount,
        "currency": refund.currency,
        "lines": [
            {"line_item_id": rl.line_item_id, "quantity": rl.quantity, "restock": rl.restock}
            for rl in refund.lines
        ],
        "expected_arrival_from": refund.expected_arrival_from.isoformat(),
        "expected_arrival_to": refund.expected_arrival_to.isoformat(),
    }


def _notify_refund(session: Session, order: Order, refund: Refund) -> None:
    facts = refund_facts(refund)
    queue_customer_mail(
        session,
        order,
        template="order_refunded",
        context=refund_words(facts),
        dedupe_key=f"order_refunded:{refund.id}",
    )


def _pick_lines(order: Order, specs: Sequence[RefundLineSpec]) -> list[tuple[LineItem, int, bool]]:
    """Match refund specs to the order's lines, refusing unknown, repeated or empty ones."""
    by_id = {line.id: line for line in order.line_items}
    picked: list[tuple[LineItem, int, bool]] = []
    seen: set[int] = set()
    for spec in specs:
        line = by_id.get(spec.line_item_id)
        if line is None:
            raise Invalid(
                OrderError.unknown_line_item,
                f"order {order.number} has no line {spec.line_item_id}",
                field="lines",
            )
        if spec.line_item_id in seen:
            raise Invalid(
                OrderError.duplicate_line_item, f"line {spec.line_item_id} is named twice", field="lines"
            )
        if not isinstance(spec.quantity, int) or isinstance(spec.quantity, bool) or spec.quantity <= 0:
            raise Invalid(
                OrderError.invalid_quantity,
                f"quantity must be a whole number above zero; got {spec.quantity}",
                field="lines",
            )
        seen.add(spec.line_item_id)
        picked.append((line, spec.quantity, spec.restock))
    return picked


def _latest(order: Order, *kinds: TransactionKind) -> Transaction | None:
    found = [t for t in order.transactions if t.kind in kinds and t.status == TransactionStatus.success]
    return found[-1] if found else None
