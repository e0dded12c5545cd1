"""What the demo team has left to do and has already done, so that every admin page has real work on it.

After the year is loaded and the last days screened: one verification settled (a held order's
customer answered), two blocks lifted with the reason the team gave (a block's whole history shows),
and webhook deliveries that failed for good (an orders/create lost in transit, so a refund and a
fulfilment for it could never be applied; one payload Shopify sent broken) for someone to look at
and retry. Everything goes through the same actions and the same inbox as in production.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import ensure_utc, now
from storeguard.core.db import json_list_contains
from storeguard.core.enums import Role
from storeguard.disputes.actions import contest_dispute, record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.enums import DeliverySource
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.webhooks.inbox import MAX_ATTEMPTS, process_delivery, record_delivery
from storeguard.lists.blocking import lift_block
from storeguard.lists.enums import BlockStatus
from storeguard.lists.models import CustomerBlock
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order
from storeguard.policies.actions import publish_policy_version
from storeguard.policies.enums import PolicyKind
from storeguard.returns import actions as returns
from storeguard.returns.enums import Condition, ReturnReason
from storeguard.screening.actions import resolve_verification
from storeguard.screening.enums import VerificationStatus
from storeguard.screening.models import Verification
from storeguard.shops.models import Shop

TEAM = Actor("staff", "ops@nordlys.example", Role.admin)
LIFTED = (
    "Called the customer: the returns were a sizing problem we have since fixed in the size guide. "
    "Given another chance.",
    "Cleared by the dispute outcome: the bank found for the customer, so the evidence no longer holds.",
)
LOST_ORDER = 5_900_000_000_001  # a Shopify order whose orders/create never reached storeguard


def settle_and_lift(session: Session, shop: Shop, *, keep_blocked: set[int]) -> None:
    """Settle the oldest open verification and lift two blocks (never those in ``keep_blocked``)."""
    verification = session.scalar(
        select(Verification.id)
        .where(Verification.shop_id == shop.id, Verification.status == VerificationStatus.required)
        .order_by(Verification.created_at, Verification.id)
        .limit(1)
    )
    if verification is not None:
        resolve_verification(
            session, verification_id=verification, actor=TEAM, status=VerificationStatus.satisfied
        )
    blocked = session.scalars(
        select(CustomerBlock.customer_id)
        .where(
            CustomerBlock.shop_id == shop.id,
            CustomerBlock.status == BlockStatus.active,
            CustomerBlock.customer_id.not_in(keep_blocked or {0}),
        )
        .order_by(CustomerBlock.id.desc())
        .limit(len(LIFTED))
    ).all()
    for customer_id, reason in zip(blocked, LIFTED, strict=False):
        lift_block(session, customer_id=customer_id, actor=TEAM, reason=reason)


# The returns the team is working: (reason, how far it got, what the customer wrote).
RETURNS = (
    (ReturnReason.size, "requested", "The trousers are too short, I need a longer leg."),
    (ReturnReason.changed_mind, "requested", None),
    (ReturnReason.not_as_described, "authorized", "The colour is much darker than on the website."),
    (ReturnReason.size, "received", "Too big across the shoulders."),
    (ReturnReason.damaged, "received", "The zip was broken when it arrived."),
    (ReturnReason.changed_mind, "refunded", None),
    (ReturnReason.other, "declined", "Bought it for a party, did not need it after all."),
)


def open_returns(session: Session, shop: Shop) -> int:
    """Open the demo's returns on recently shipped orders and take each as far as the team got."""
    at = now()
    orders = session.scalars(
        select(Order)
        .where(
            Order.shop_id == shop.id,
            Order.customer_id.is_not(None),
            Order.status != OrderStatus.cancelled,
            Order.created_at >= at - timedelta(days=20),
            Order.id.in_(
                select(LineItem.order_id).where(
                    LineItem.fulfilled_quantity > 0, LineItem.refunded_quantity == 0
                )
            ),
        )
        .order_by(Order.created_at.desc())
        .limit(len(RETURNS) * 3)
    ).all()
    opened = 0
    for order, (reason, stage, note) in zip(orders[::3], RETURNS, strict=False):
        line = next(li for li in order.line_items if li.fulfilled_quantity > 0 and li.refunded_quantity == 0)
        rma = returns.request_return(
            session,
            order_id=order.id,
            reason=reason,
            lines=[returns.LineAsked(line.id, 1)],
            note=note,
            actor=TEAM,
        )
        opened += 1
        if stage == "declined":
            returns.decline_return(
                session,
                return_id=rma.id,
                actor=TEAM,
                reason="Party wear is final sale (see the product page).",
            )
            continue
        if stage == "requested":
            continue
        returns.authorize_return(session, return_id=rma.id, actor=TEAM)
        if stage == "authorized":
            continue
        returns.receive_return(session, return_id=rma.id, actor=TEAM)
        if stage == "received":
            continue
        returns.inspect_return(
            session, return_id=rma.id, actor=TEAM, conditions={rma.lines[0].id: Condition.used}
        )
        returns.refund_return(session, return_id=rma.id, actor=TEAM)
    return opened


# The disputes on the team's desk: (Stripe's reason, days to the deadline, status, contested already).
DISPUTES = (
    ("fraudulent", 2, "needs_response", False),
    ("product_not_received", 6, "needs_response", False),
    ("fraudulent", 12, "warning_needs_response", False),
    ("product_unacceptable", 4, "under_review", True),
)


def open_disputes(session: Session, shop: Shop) -> int:
    """Open the demo's disputes on orders tagged with a chargeback, as Stripe would report them."""
    at = now()
    tagged = list(
        session.scalars(
            select(Order)
            .where(
                Order.shop_id == shop.id,
                Order.customer_id.is_not(None),
                json_list_contains(Order.tags, "chargeback"),
            )
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )
    orders = _disputed_orders(session, tagged, opened=at - timedelta(days=9))
    stripe = Actor("webhook", "stripe")
    for n, (order, (reason, days, status, contested)) in enumerate(
        zip(orders, DISPUTES, strict=False), start=1
    ):
        opened = at - timedelta(days=8 + n)
        dispute_id = f"dp_demo_{order.id}"

        due = at + timedelta(days=days)
        dispute = record_dispute_report(
            session,
            _stripe_report(order, reason, due, opened, "needs_response" if contested else status),
            actor=stripe,
            event="charge.dispute.created",
            event_id=f"evt_demo_{order.id}",
            occurred_at=opened,
            order_id=order.id,
            payload={"id": dispute_id, "object": "dispute"},
        )
        if contested:
            # The team contested and sent its evidence; Stripe put it under review.
            contest_dispute(
                session, dispute_id=dispute.id, actor=TEAM, note="Posten shows delivery with signature."
            )
            record_dispute_report(
                session,
                _stripe_report(order, reason, due, opened, status),
                actor=stripe,
                event="charge.dispute.updated",
                event_id=f"evt_demo_{order.id}_review",
                occurred_at=at - timedelta(days=1),
                order_id=order.id,
                payload={"id": dispute_id, "object": "dispute"},
            )
    if orders:
        prepare_compelling_evidence(session, shop, orders[0], opened=at - timedelta(days=9))
    return len(orders)


def _disputed_orders(session: Session, tagged: list[Order], *, opened: datetime) -> list[Order]:
    """The newest chargeback orders, one per dispute, after the first (a fraud dispute) on a
    returning buyer's order: one of theirs from the last 120 days, with two other orders that can
    be moved into the dispute's window as Compelling Evidence 3.0.

    Chosen from the data, as the traps and customer types decide who has how many orders: a
    chargeback order's buyer when one fits, else any returning buyer's (friendly fraud by a
    customer who bought before is what CE3.0 answers); the fewest other orders first, and best
    none of the rest already in the window, so the page proposes just the two moved.
    """
    shop_id = tagged[0].shop_id if tagged else None
    counts = dict(
        session.execute(
            select(Order.customer_id, func.count())
            .where(Order.shop_id == shop_id, Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
        ).all()
    )
    recent = session.scalars(
        select(Order)
        .where(
            Order.shop_id == shop_id,
            Order.customer_id.is_not(None),
            Order.created_at > opened - timedelta(days=CE3_AGES[0]),
            Order.created_at < opened,
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
    ).all()
    fitting = [o for o in recent if counts.get(o.customer_id, 0) > CE3_PRIOR]
    chargebacks = {o.id for o in tagged}
    returning = min(
        fitting,
        key=lambda o: (
            _already_in_window(session, o, opened),
            o.id not in chargebacks,
            counts[o.customer_id],
            fitting.index(o),
        ),
        default=None,
    )
    rest = [o for o in tagged if o.customer_id != getattr(returning, "customer_id", None)]
    chosen = ([returning] if returning else []) + rest
    return chosen[: len(DISPUTES)]


def _already_in_window(session: Session, order: Order, opened: datetime) -> bool:
    """Whether the buyer has orders besides the two that will be moved already 120-365 days before."""
    others = session.scalars(
        select(Order.created_at)
        .where(Order.customer_id == order.customer_id, Order.id != order.id)
        .order_by(Order.created_at.desc())
        .offset(CE3_PRIOR)
    ).all()
    low, high = opened - timedelta(days=365), opened - timedelta(days=CE3_AGES[0])
    return any(low <= ensure_utc(at) <= high for at in others)


# The shop's refund policy, in effect long before any order of the demo year.
REFUND_POLICY = (
    "Angrerett: du kan returnere varer innen 14 dager etter at du mottok dem. "
    "Vi refunderer kjøpesummen innen 14 dager etter at vi har mottatt varen."
)


# How many earlier orders the fraud dispute's buyer gets, and how many days before the dispute.
CE3_PRIOR = 2
CE3_AGES = (150, 240)


def prepare_compelling_evidence(session: Session, shop: Shop, order: Order, *, opened: datetime) -> None:
    """Make the first fraud dispute's buyer a returning one: two earlier undisputed orders, 150 and
    240 days before the dispute, from the same device, IP address and delivery address, so the
    dispute page proposes them as Visa Compelling Evidence 3.0; and publish the refund policy."""
    publish_policy_version(
        session,
        shop_id=shop.id,
        kind=PolicyKind.refund,
        title="Angrerett og retur",
        body=REFUND_POLICY,
        language="nb",
        effective_from=opened - timedelta(days=500),
        actor=TEAM,
    )
    order.device_id = order.device_id or f"demo-device-{order.customer_id}"
    order.browser_ip = order.browser_ip or "84.210.17.42"
    earlier = session.scalars(
        select(Order)
        .where(Order.customer_id == order.customer_id, Order.id != order.id)
        .order_by(Order.created_at.desc())
        .limit(CE3_PRIOR)
    ).all()
    for prior, days in zip(earlier, CE3_AGES, strict=False):
        prior.created_at = opened - timedelta(days=days)
        prior.device_id, prior.browser_ip = order.device_id, order.browser_ip
        prior.shipping_address = order.shipping_address
        prior.tags = [t for t in prior.tags if t != "chargeback"]
    session.flush()


def _stripe_report(order: Order, reason: str, due: datetime, opened: datetime, state: str) -> DisputeReport:
    """What Stripe reports about the demo's dispute on ``order`` in ``state``."""
    return DisputeReport(
        gateway="stripe",
        gateway_dispute_id=f"dp_demo_{order.id}",
        amount=order.total,
        currency=order.currency,
        status=state,
        gateway_status=state,
        reason=reason,
        gateway_reason=reason,
        evidence_due_at=due,
        opened_at=opened,
        funds_withdrawn=not state.startswith("warning"),
    )


def _deliveries(shop: Shop) -> list[tuple[str, str, dict[str, object]]]:
    order = {"id": LOST_ORDER, "name": "#DEMO-LOST", "currency": shop.currency}
    return [
        (
            "refunds/create",
            "demo-refund-lost-order",
            {
                "id": 5_910_000_000_001,
                "order_id": LOST_ORDER,
                "created_at": (now() - timedelta(hours=5)).isoformat(),
                "refund_line_items": [],
                "transactions": [
                    {
                        "id": 5_920_000_000_001,
                        "kind": "refund",
                        "amount": "199.00",
                        "currency": shop.currency,
                        "status": "success",
                    }
                ],
            },
        ),
        (
            "fulfillments/create",
            "demo-fulfilment-lost-order",
            {
                "id": 5_930_000_000_001,
                "order_id": LOST_ORDER,
                "status": "success",
                "tracking_company": "Posten",
                "tracking_number": "70712345678",
                "line_items": [],
            },
        ),
        (
            "orders/create",
            "demo-order-broken-payload",
            {**order, "id": LOST_ORDER + 1, "total_price": "not a price", "line_items": "missing"},
        ),
    ]


def record_failed_deliveries(session: Session, shop: Shop) -> int:
    """Store Shopify deliveries that fail for good through the real inbox; commits. Returns how many."""
    failed = 0
    for topic, webhook_id, payload in _deliveries(shop):
        pk = record_delivery(
            session,
            source=DeliverySource.shopify,
            delivery_id=webhook_id,
            topic=topic,
            body=json.dumps(payload).encode(),
            headers={"x-shopify-topic": topic, "x-shopify-webhook-id": webhook_id},
            shop_id=shop.id,
        )
        if pk is None:
            continue  # already there from an earlier start
        # It has been retried all day: this is its last attempt.
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == pk)
            .values(attempts=MAX_ATTEMPTS - 1, received_at=now() - timedelta(hours=6))
        )
        session.commit()
        failed += process_delivery(session, pk) is not None
    return failed
