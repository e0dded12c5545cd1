"""The only code that changes orders. Each action locks, checks policy, changes, audits, flushes.

None of them commits: the route, command or webhook that called it does, once, so a refusal
anywhere leaves nothing half done. Money and shipping actions live in ``payments`` and
``fulfillments`` and are re-exported here, so callers import every action from one place.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, select, update
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.db import is_postgres
from storeguard.core.errors import CommonError, Conflict, Invalid, NotFound
from storeguard.core.events import publish
from storeguard.core.money import validate_currency
from storeguard.core.schemas import MONEY_MAX
from storeguard.customers.actions import customer_for_contact
from storeguard.customers.enums import CustomerErrorCode
from storeguard.customers.models import Customer
from storeguard.orders import policy
from storeguard.orders.enums import (
    CancellationRequestStatus,
    CancelReason,
    OrderStatus,
    TransactionKind,
    TransactionStatus,
)
from storeguard.orders.errors import OrderError
from storeguard.orders.fulfillments import FulfillLineSpec, cancel_fulfillment, fulfill_order, mark_delivered
from storeguard.orders.inventory import record_sale, restock_line
from storeguard.orders.line_properties import checked_properties
from storeguard.orders.locking import (
    lock_order,
    lock_products,
    order_state,
    queue_customer_mail,
    refresh_statuses,
    refund_words,
    require_email,
)
from storeguard.orders.models import CancellationRequest, LineItem, Order, Refund, Transaction
from storeguard.orders.payments import (
    RefundLineSpec,
    capture_payment,
    issue_refund,
    refund_facts,
    refund_line_items,
    refund_order,
    void_authorization,
    void_outstanding,
)
from storeguard.orders.schemas import LineCreate, OrderCreate
from storeguard.shops.models import Product, Shop
from storeguard.shops.policy import platform_mails_customers
from storeguard.shops.service import get_shop

__all__ = [
    "FulfillLineSpec",
    "RefundLineSpec",
    "accept_cancellation_request",
    "cancel_fulfillment",
    "cancel_order",
    "capture_payment",
    "create_order",
    "decline_cancellation_request",
    "fulfill_order",
    "mark_delivered",
    "record_cancellation_request",
    "refund_line_items",
    "refund_order",
    "void_authorization",
]

_CANCEL_REFUSALS = {
    OrderError.already_cancelled: "order {number} is already cancelled",
    OrderError.order_closed: "order {number} is closed",
    OrderError.fulfillment_active: "order {number} has a fulfilment in progress; cancel the fulfilment first",
    OrderError.fulfillment_delivered: "order {number} was delivered; take the goods back with a return and refund",
}


def _product_ids(session: Session, shop_id: int, lines: list[LineCreate]) -> list[int | None]:
    """Each line's product id: as given, or found by SKU in the shop (None when there is none)."""
    skus = {line.sku.strip() for line in lines if line.product_id is None and line.sku}
    by_sku: dict[str, int] = {}
    if skus:
        wanted = select(Product.sku, Product.id).where(Product.shop_id == shop_id, Product.sku.in_(skus))
        by_sku = {sku: product_id for sku, product_id in session.execute(wanted)}
    return [
        line.product_id if line.product_id is not None else by_sku.get((line.sku or "").strip())
        for line in lines
    ]


def create_order(session: Session, *, actor: Actor, data: OrderCreate) -> Order:
    """Create an order from checked lines and totals, take its units out of stock, record its payment."""
    shop = get_shop(session, data.shop_id, field="shop_id")
    currency = validate_currency(data.currency)
    if currency != shop.currency:
        raise Invalid(
            OrderError.currency_mismatch,
            f"shop {shop.id} sells in {shop.currency}, not {currency}",
            field="currency",
        )
    customer_id = data.customer_id
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.shop_id != shop.id:
            raise NotFound(
                CustomerErrorCode.customer_not_found,
                f"shop {shop.id} has no customer {customer_id}",
                field="customer_id",
            )

    ids = _product_ids(session, shop.id, data.lines)
    products = lock_products(session, ids)
    needed: Counter[int] = Counter()
    items: list[LineItem] = []
    for i, line in enumerate(data.lines):
        properties = checked_properties(line.properties, f"lines.{i}.properties")
        product = products.get(ids[i]) if ids[i] is not None else None
        if product is None or product.shop_id != shop.id:
            named = (
                f"product {line.product_id}"
                if line.product_id is not None
                else f"product with SKU {line.sku}"
            )
            raise Invalid(
                OrderError.unknown_product,
                f"shop {shop.id} has no {named}",
                field=f"lines.{i}.product_id" if line.product_id is not None else f"lines.{i}.sku",
            )
        unit_price = product.price if line.unit_price is None else line.unit_price
        if unit_price * line.quantity > MONEY_MAX:
            raise Invalid(
                OrderError.amount_out_of_range,
                f"a line's value cannot exceed {MONEY_MAX} minor units",
                field=f"lines.{i}.quantity",
            )
        if line.discount > unit_price * line.quantity:
            raise Invalid(
                CommonError.invalid_amount,
                "a line's discount cannot exceed the line's value",
                field=f"lines.{i}.discount",
            )
        needed[product.id] += line.quantity
        items.append(
            LineItem(
                product_id=product.id,
                sku=product.sku,
                title=product.title,
                variant=line.variant,
                properties=properties,
                quantity=line.quantity,
                unit_price=unit_price,
                discount=line.discount,
                fulfilled_quantity=0,
                refunded_quantity=0,
                restocked_quantity=0,
            )
        )
    for product_id, quantity in needed.items():
        if products[product_id].stock < quantity:
            raise Conflict(
                OrderError.insufficient_stock,
                f"{products[product_id].sku} has {products[product_id].stock} in stock; {quantity} ordered",
                field="lines",
            )

    subtotal = sum(item.total for item in items)
    running = subtotal
    for field, amount in (("lines", 0), ("shipping", data.shipping), ("tax", data.tax)):
        running += amount
        if running > MONEY_MAX:
            raise Invalid(
                OrderError.amount_out_of_range,
                f"the order's value cannot exceed {MONEY_MAX} minor units",
                field=field,
            )
    total = subtotal + data.shipping + data.tax - data.discount
    if total < 0:
        raise Invalid(CommonError.invalid_amount, "the discount exceeds the order's value", field="discount")
    if data.total is not None and data.total != total:
        raise Invalid(
            OrderError.total_mismatch,
            f"total {data.total} does not match lines + shipping + tax - discount = {total}",
            field="total",
        )
    payment_amount = None
    if data.payment is not None:
        if data.payment.kind == TransactionKind.authorization and data.payment.fee:
            # Gateways charge their fee when money is taken; an authorization only holds it.
            raise Invalid(
                CommonError.invalid_amount,
                "an authorization carries no fee; send the fee with the capture",
                field="payment.fee",
            )
        payment_amount = total if data.payment.amount is None else data.payment.amount
        if not 0 < payment_amount <= total:
            raise Invalid(
                CommonError.invalid_amount,
                f"the payment must be above zero and at most the total {total}",
                field="payment.amount",
            )
    number = data.number or _next_number(session, shop.id)
    if session.scalar(select(Order.id).where(Order.shop_id == shop.id, Order.number == number)) is not None:
        raise Conflict(
            OrderError.duplicate_order_number, f"shop {shop.id} already has an order {number}", field="number"
        )
    if customer_id is None:
        # Linked as a mirrored order is: to the customer who used this email or phone, or a new
        # one; only once every check has passed, so a refused order leaves no customer behind.
        found = customer_for_contact(
            session, shop_id=shop.id, actor=actor, email=data.email, phone=data.phone
        )
        customer_id = found.id if found is not None else None

    order = Order(
        shop_id=shop.id,
        customer_id=customer_id,
        number=number,
        platform_id=data.platform_id,
        source=data.source,
        currency=currency,
        subtotal=subtotal,
        shipping=data.shipping,
        tax=data.tax,
        discount=data.discount,
        total=total,
        email=data.email,
        phone=data.phone,
        shipping_address=data.shipping_address,
        billing_address=data.billing_address,
        browser_ip=data.browser_ip,
        user_agent=data.user_agent,
        device_id=data.device_id,
        payment_fingerprint=data.payment_fingerprint,
        card_bin=data.card_bin,
        card_last4=data.card_last4,
        card_expiry=data.card_expiry,
        checkout=data.checkout.model_dump(exclude_defaults=True) or None if data.checkout else None,
        tags=list(data.tags),
        note=data.note,
        line_items=items,
        created_at=now(),
    )
    session.add(order)
    session.flush()
    for item in items:
        record_sale(session, order, item, products[item.product_id])
    if data.payment is not None and payment_amount is not None:
        order.transactions.append(
            Transaction(
                status=TransactionStatus.success,
                kind=TransactionKind(data.payment.kind),
                amount=payment_amount,
                fee=data.payment.fee,
                currency=currency,
                gateway=data.payment.gateway,
                gateway_reference=data.payment.gateway_reference,
                created_at=now(),
            )
        )
    refresh_statuses(order)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="order.created",
        subject_type="order",
        subject_id=order.id,
        after=order_state(order),
        data={"number": number, "total": total, "currency": currency, "lines": len(items)},
    )
    return order


def cancel_order(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    reason: CancelReason | str,
    refund: bool,
    restock: bool,
    notify_customer: bool,
    staff_note: str | None = None,
) -> Order:
    """Stop an order; refund, restock and notify only as asked. An uncaptured authorization is voided.

    Cancelling moves no money by itself: with ``refund=False`` a paid order stays paid.
    """
    reason = _cancel_reason(reason)
    order = lock_order(session, order_id)
    blocker = policy.cancel_blocker(order)
    if blocker is not None:
        raise Conflict(blocker, _CANCEL_REFUSALS[blocker].format(number=order.number))
    require_email(order, notify_customer)
    before = order_state(order)

    void = void_outstanding(order)
    refund_record = None
    restocked: Counter[int] = Counter()
    if refund and policy.refundable_amount(order) > 0:
        lines = [
            (line, q, restock) for line in order.line_items if (q := policy.refundable_quantity(line)) > 0
        ]
        refund_record, by_refund = issue_refund(
            session,
            order,
            actor=actor,
            lines=lines,
            shipping=policy.refundable_shipping(order),
            total=policy.refundable_amount(order),
            reason=f"order cancelled ({reason})",
            note=staff_note,
            returned=False,  # a cancellable order has nothing out with the customer to come back
        )
        restocked.update(by_refund)
    if restock:
        # Nothing of a cancellable order is out with a carrier, so every unit not yet back goes back.
        products = lock_products(session, [line.product_id for line in order.line_items if line.product_id])
        for line in order.line_items:
            restocked[line.id] += restock_line(
                session, order, line, policy.restockable_quantity(line), products
            )

    order.status = OrderStatus.cancelled
    order.cancel_reason = reason
    order.cancelled_at = now()
    refresh_statuses(order)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="order.cancelled",
        subject_type="order",
        subject_id=order.id,
        reason=str(reason),
        before=before,
        after=order_state(order),
        data={
            "staff_note": staff_note,
            "refund": refund_facts(refund_record) if refund_record else None,
            "voided": void.amount if void else 0,
            "restocked": {str(k): v for k, v in restocked.items() if v},
            "notify_customer": notify_customer,
        },
    )
    # A platform's order is cancelled on the platform too (its subscriber listens), and a platform
    # that mails its own customers is asked to notify instead of storeguard mailing twice.
    publish(
        session,
        "order.cancelled",
        shop_id=order.shop_id,
        subject_type="order",
        subject_id=order.id,
        data={
            "reason": str(reason),
            "refund": refund,
            "restock": restock,
            "notify_customer": notify_customer,
            "staff_note": staff_note,
        },
    )
    if notify_customer and not platform_mails_customers(get_shop(session, order.shop_id), order.platform_id):
        _mail_cancellation(session, order, refund_record)
    return order


def _mail_cancellation(session: Session, order: Order, refund: Refund | None) -> None:
    """Queue the 'order cancelled' mail, stating the refund and when it should arrive."""
    facts = refund_facts(refund) if refund is not None else None
    queue_customer_mail(
        session,
        order,
        template="order_cancelled",
        context={"reason": str(order.cancel_reason), **refund_words(facts)},
        dedupe_key=f"order_cancelled:{order.id}",
    )


def record_cancellation_request(
    session: Session, *, order_id: int, actor: Actor, channel: str = "email", message: str | None = None
) -> CancellationRequest:
    """Record a customer's request to cancel; it cancels nothing until staff accept it."""
    order = lock_order(session, order_id)
    if order.status == OrderStatus.cancelled:
        raise Conflict(OrderError.already_cancelled, f"order {order.number} is already cancelled")
    request = CancellationRequest(order_id=order.id, channel=channel, message=message, created_at=now())
    session.add(request)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="cancellation_request.recorded",
        subject_type="order",
        subject_id=order.id,
        data={"request_id": request.id, "channel": channel, "message": message},
    )
    return request


def accept_cancellation_request(
    session: Session,
    *,
    request_id: int,
    actor: Actor,
    refund: bool = True,
    restock: bool = True,
    notify_customer: bool = False,
    staff_note: str | None = None,
) -> CancellationRequest:
    """Grant a customer's request: cancel the order (reason 'customer') and close the request."""
    request = _lock_open_request(session, request_id)
    cancel_order(
        session,
        order_id=request.order_id,
        actor=actor,
        reason=CancelReason.customer,
        refund=refund,
        restock=restock,
        notify_customer=notify_customer,
        staff_note=staff_note,
    )
    _close_request(session, request, CancellationRequestStatus.accepted, actor, staff_note)
    return request


def decline_cancellation_request(
    session: Session,
    *,
    request_id: int,
    actor: Actor,
    staff_note: str | None = None,
    notify_customer: bool = False,
) -> CancellationRequest:
    """Refuse a customer's request to cancel; the order goes on."""
    request = _lock_open_request(session, request_id)
    order = session.get(Order, request.order_id)
    assert order is not None  # a foreign key holds it
    require_email(order, notify_customer)
    _close_request(session, request, CancellationRequestStatus.declined, actor, staff_note)
    if notify_customer:
        queue_customer_mail(
            session,
            order,
            template="cancellation_request_declined",
            context={"staff_note": staff_note},
            dedupe_key=f"cancellation_request_declined:{request.id}",
        )
    return request


def _lock_open_request(session: Session, request_id: int) -> CancellationRequest:
    """Lock the request's order, then return the request if it is still open."""
    found = session.get(CancellationRequest, request_id)
    if found is None:
        raise NotFound(OrderError.cancellation_request_not_found, f"no cancellation request {request_id}")
    lock_order(session, found.order_id)
    request = session.scalar(
        select(CancellationRequest)
        .where(CancellationRequest.id == request_id)
        .execution_options(populate_existing=True)
    )
    assert request is not None
    if request.status != CancellationRequestStatus.open:
        raise Conflict(
            OrderError.request_already_handled,
            f"cancellation request {request_id} was already {request.status}",
        )
    return request


def _close_request(
    session: Session,
    request: CancellationRequest,
    status: CancellationRequestStatus,
    actor: Actor,
    staff_note: str | None,
) -> None:
    request.status = status
    request.handled_by = str(actor)
    request.handled_at = now()
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"cancellation_request.{status}",
        subject_type="order",
        subject_id=request.order_id,
        reason=staff_note,
        data={"request_id": request.id},
    )


def _cancel_reason(value: CancelReason | str) -> CancelReason:
    try:
        return CancelReason(value)
    except ValueError:
        choices = ", ".join(r.value for r in CancelReason)
        raise Invalid(
            OrderError.invalid_cancel_reason, f"{value!r} is not a cancel reason ({choices})", field="reason"
        ) from None


def _next_number(session: Session, shop_id: int) -> str:
    """Take the shop's next free order number (#1001, #1002, ...).

    The shop's counter is taken and moved on in one statement, its row locked until the order
    commits, so two orders at once never get the same number. When the number is already taken
    (orders imported or mirrored from a platform carry their own "#N"), the counter jumps past the
    shop's highest "#N" in one step: trying the numbers one by one, two round trips each with the
    shop's row locked, stalled every other order of a shop with 100,000 imported ones for minutes.
    """
    taken = update(Shop).where(Shop.id == shop_id).values(next_order_number=Shop.next_order_number + 1)
    candidate = session.scalar(taken.returning(Shop.next_order_number)) - 1
    if not _number_taken(session, shop_id, candidate):
        return f"#{candidate}"
    candidate = max(candidate + 1, (_highest_number(session, shop_id) or 0) + 1)
    # Only a number longer than _highest_number reads can still be taken: skipped one at a time.
    while _number_taken(session, shop_id, candidate):
        candidate += 1
    session.execute(update(Shop).where(Shop.id == shop_id).values(next_order_number=candidate + 1))
    return f"#{candidate}"


def _number_taken(session: Session, shop_id: int, number: int) -> bool:
    found = select(Order.id).where(Order.shop_id == shop_id, Order.number == f"#{number}").limit(1)
    return session.scalar(found) is not None


# "#" and up to 15 digits: every such number fits a BIGINT (and a float, on SQLite) exactly.
_NUMBER_DIGITS = 15


def _highest_number(session: Session, shop_id: int) -> int | None:
    """Return the highest N among the shop's order numbers written "#N" (None when there is none)."""
    digits = func.substr(Order.number, 2)
    if is_postgres(session):
        plain = Order.number.regexp_match(f"^#[0-9]{{1,{_NUMBER_DIGITS}}}$")
    else:  # SQLite: "#", then only digits, and not too many of them
        plain = and_(
            Order.number.op("GLOB")("#[0-9]*"),
            digits.op("NOT GLOB")("*[^0-9]*"),
            func.length(Order.number) <= _NUMBER_DIGITS + 1,
        )
    highest = select(func.max(cast(digits, BigInteger))).where(Order.shop_id == shop_id, plain)
    return session.scalar(highest)


FRAUD_WARNING_TAG = "early_fraud_warning"


def record_fraud_warning(
    session: Session, *, order_id: int, actor: Actor, warning: str | None, details: dict[str, Any]
) -> Order:
    """Note a card network's early fraud warning on the order (a dispute may follow): tagged once, audited each time."""
    order = lock_order(session, order_id)
    before = list(order.tags or [])
    if FRAUD_WARNING_TAG not in before:
        order.tags = [*before, FRAUD_WARNING_TAG]
    session.flush()
    record_event(
        session,
        actor=actor,
        action="order.fraud_warning_received",
        subject_type="order",
        subject_id=order.id,
        before={"tags": before},
        after={"tags": list(order.tags)},
        data={"warning": warning, **details},
    )
    return order
