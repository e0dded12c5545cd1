"""Domains publish neutral events in their own transaction; Shopify's subscription turns them into calls."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.errors import Conflict
from storeguard.core.events import EVENT_KIND
from storeguard.core.models import OutboxMessage
from storeguard.customers.models import Customer
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.webhooks.worker import hand_over_events
from storeguard.lists.blocking import block_customer, lift_block
from storeguard.lists.models import CustomerBlock
from storeguard.orders.actions import cancel_order, fulfill_order, refund_order
from storeguard.orders.enums import CancelReason
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_order, make_shop
from tests.integrations.conftest import OPERATOR

ORDER_ID = "820982911946154508"
CUSTOMER_ID = "207119551"


def _connected(session: Session) -> Shop:
    shop = make_shop(session)
    configure_shop(
        session, shop.domain, actor=OPERATOR, access_token="shpat_x", api_base_url="http://127.0.0.1:9"
    )
    return shop


def _events(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == EVENT_KIND).order_by(OutboxMessage.id)
    )
    return [m.payload for m in rows]


def _calls(session: Session) -> list[tuple[str, dict[str, Any]]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "shopify").order_by(OutboxMessage.id)
    )
    return [(m.payload["mutation"], m.payload["variables"]) for m in rows]


def _block(session: Session, customer: Customer, *, disable_account: bool) -> CustomerBlock:
    return block_customer(
        session,
        customer_id=customer.id,
        actor=FACTORY_ACTOR,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        disable_account=disable_account,
        notify=False,
    )


def test_cancelling_an_order_publishes_order_cancelled_with_what_was_decided(session: Session) -> None:
    shop = make_shop(session, platform="other")
    order = make_order(session, shop, customer=make_customer(session, shop))

    cancel_order(
        session,
        order_id=order.id,
        actor=FACTORY_ACTOR,
        reason=CancelReason.customer,
        refund=False,
        restock=True,
        notify_customer=False,
        staff_note="asked by phone",
    )

    assert _events(session) == [
        {
            "name": "order.cancelled",
            "shop_id": shop.id,
            "subject_type": "order",
            "subject_id": order.id,
            "data": {
                "reason": "customer",
                "refund": False,
                "restock": True,
                "notify_customer": False,
                "staff_note": "asked by phone",
            },
        }
    ]


def test_a_refused_cancel_publishes_nothing(session: Session) -> None:
    shop = make_shop(session, platform="other")
    order = make_order(session, shop, customer=make_customer(session, shop))
    fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)

    with pytest.raises(Conflict):
        cancel_order(
            session,
            order_id=order.id,
            actor=FACTORY_ACTOR,
            reason=CancelReason.customer,
            refund=False,
            restock=False,
            notify_customer=False,
        )

    assert [e["name"] for e in _events(session)] == []


def test_refunding_publishes_order_refunded_naming_the_refund(session: Session) -> None:
    shop = make_shop(session, platform="other")
    order = make_order(session, shop, customer=make_customer(session, shop))

    refund = refund_order(session, order_id=order.id, actor=FACTORY_ACTOR, amount=500, reason="goodwill")

    assert _events(session) == [
        {
            "name": "order.refunded",
            "shop_id": shop.id,
            "subject_type": "order",
            "subject_id": order.id,
            "data": {"refund_id": refund.id, "notify_customer": False, "reported_by": None},
        }
    ]


def test_an_event_for_an_order_that_is_not_shopifys_asks_shopify_nothing(session: Session) -> None:
    shop = _connected(session)
    order = make_order(session, shop, customer=make_customer(session, shop))
    cancel_order(
        session,
        order_id=order.id,
        actor=FACTORY_ACTOR,
        reason=CancelReason.fraud,
        refund=False,
        restock=False,
        notify_customer=False,
    )

    assert hand_over_events(session) == 1
    assert _calls(session) == []


def test_handing_the_same_events_over_twice_is_one_call_each(session: Session) -> None:
    shop = _connected(session)
    order = make_order(session, shop, customer=make_customer(session, shop), platform_id=ORDER_ID)
    cancel_order(
        session,
        order_id=order.id,
        actor=FACTORY_ACTOR,
        reason=CancelReason.fraud,
        refund=False,
        restock=False,
        notify_customer=False,
    )
    hand_over_events(session)
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == EVENT_KIND)):
        message.status = "pending"  # as if a crash had lost the 'sent' mark after the calls were queued
    session.flush()

    assert hand_over_events(session) == 1
    assert [mutation for mutation, _ in _calls(session)] == ["orderCancel"]


def test_blocking_with_the_account_disabled_tags_the_shopify_customer(session: Session) -> None:
    shop = _connected(session)
    customer = make_customer(session, shop, platform_id=CUSTOMER_ID)

    block = _block(session, customer, disable_account=True)
    hand_over_events(session)

    assert [e["name"] for e in _events(session)] == ["customer.disabled"]
    assert _events(session)[0]["data"] == {"block_id": block.id}
    assert _calls(session) == [
        ("tagsAdd", {"id": f"gid://shopify/Customer/{CUSTOMER_ID}", "tags": ["storeguard-disabled"]})
    ]


def test_lifting_the_block_takes_the_disabled_tag_off_again(session: Session) -> None:
    shop = _connected(session)
    customer = make_customer(session, shop, platform_id=CUSTOMER_ID)
    _block(session, customer, disable_account=True)

    lift_block(session, customer_id=customer.id, actor=FACTORY_ACTOR, reason="apologised")
    hand_over_events(session)

    assert [e["name"] for e in _events(session)] == ["customer.disabled", "customer.enabled"]
    assert [mutation for mutation, _ in _calls(session)] == ["tagsAdd", "tagsRemove"]


def test_a_block_without_disabling_the_account_publishes_no_customer_event(session: Session) -> None:
    shop = _connected(session)
    customer = make_customer(session, shop, platform_id=CUSTOMER_ID)

    _block(session, customer, disable_account=False)

    assert _events(session) == []


def test_connecting_a_shopify_token_lets_shopify_mail_its_own_customers(session: Session) -> None:
    shop = _connected(session)

    assert shop.settings["platform_mails_customers"] is True
