"""Staff cancels and refunds of a Shopify order go to Shopify once, and Shopify mails the customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.events import EVENT_KIND
from storeguard.core.models import OutboxMessage
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.webhooks.worker import hand_over_events
from storeguard.orders.actions import cancel_order, refund_order
from storeguard.orders.enums import CancelReason
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_order, make_shop
from tests.integrations.conftest import OPERATOR


def _connected(session: Session, shop: Shop) -> Shop:
    configure_shop(
        session, shop.domain, actor=OPERATOR, access_token="shpat_x", api_base_url="http://127.0.0.1:9"
    )
    return shop


def _outbox(session: Session) -> list[tuple[str, str]]:
    """What goes out once the worker has handed the domain events to Shopify (events themselves aside)."""
    hand_over_events(session)
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind != EVENT_KIND).order_by(OutboxMessage.id)
    )
    return [(m.kind, m.payload.get("mutation") or m.payload.get("template")) for m in rows]


def test_cancel_order_of_a_connected_shopify_shop_queues_one_order_cancel_and_no_own_mail(session: Session):
    shop = _connected(session, make_shop(session))
    order = make_order(session, shop, customer=make_customer(session, shop), platform_id="820982911946154508")

    cancel_order(
        session,
        order_id=order.id,
        actor=FACTORY_ACTOR,
        reason=CancelReason.fraud,
        refund=True,
        restock=True,
        notify_customer=True,
        staff_note="blocked",
    )

    assert _outbox(session) == [("shopify", "orderCancel")]
    [message] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "shopify"))
    assert message.payload["variables"]["orderId"] == "gid://shopify/Order/820982911946154508"
    assert message.payload["variables"]["notifyCustomer"] is True


def test_cancel_order_of_a_shop_not_on_shopify_mails_the_customer_itself(session: Session):
    shop = make_shop(session, platform="other")
    order = make_order(session, shop, customer=make_customer(session, shop))

    cancel_order(
        session,
        order_id=order.id,
        actor=FACTORY_ACTOR,
        reason=CancelReason.customer,
        refund=False,
        restock=False,
        notify_customer=True,
    )

    assert _outbox(session) == [("email", "order_cancelled")]


def test_refund_order_of_a_connected_shopify_shop_queues_one_refund_create(session: Session):
    shop = _connected(session, make_shop(session))
    order = make_order(session, shop, customer=make_customer(session, shop), platform_id="450789469")

    refund_order(session, order_id=order.id, actor=FACTORY_ACTOR, amount=1000, reason="goodwill")

    assert _outbox(session) == [("shopify", "refundCreate")]
