"""What the demo team has left to do and has already done, so that every admin page has real work on it.

After the year is loaded and the last days screened: one verification settled (a held order's
customer answered), two blocks lifted with the reason the team gave (a block's whole history shows),
and webhook deliveries that failed for good (an orders/create lost in transit, so a refund and a
fulfilment for it could never be applied; one payload Shopify sent broken) for someone to look at
and retry. Everything goes through the same actions and the same inbox as in production.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import now
from storeguard.core.enums import Role
from storeguard.integrations.enums import DeliverySource
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.webhooks.inbox import MAX_ATTEMPTS, process_delivery, record_delivery
from storeguard.lists.blocking import lift_block
from storeguard.lists.enums import BlockStatus
from storeguard.lists.models import CustomerBlock
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
