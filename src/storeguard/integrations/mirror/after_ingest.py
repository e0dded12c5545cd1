"""Where a mirrored order meets the rest of storeguard: identifiers and screening.

``after_order_ingested`` is the one seam: an order storeguard sees for the first time is
screened (which records its identifiers: email, phone, addresses, IP, card); a later version
of a known order only refreshes its identifiers.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.customers.identifiers import record_order_identifiers
from storeguard.orders.models import Order
from storeguard.screening.actions import screen_existing_order

SHOPIFY_WEBHOOK = Actor("webhook", "shopify")


def record_identifiers(session: Session, order: Order) -> None:
    """Record the order's identifiers for linking and lists."""
    record_order_identifiers(session, order)


def screen_order(session: Session, order: Order) -> None:
    """Screen an order storeguard has just learned about; a block cancels it per the shop's policy."""
    screen_existing_order(session, order_id=order.id, actor=SHOPIFY_WEBHOOK)


def after_order_ingested(session: Session, order: Order, *, created: bool) -> None:
    """Screen a mirrored order the first time it is seen; on later versions refresh its identifiers."""
    if created:
        screen_order(session, order)
    else:
        record_identifiers(session, order)
