"""The settings page shows each subscription's deliveries with their tries, and sends one again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.integrations.events.actions import KIND, subscribe
from storeguard.integrations.events.models import EventDelivery
from storeguard.integrations.webhooks.worker import run_pass
from storeguard.lists.blocking import block_customer
from tests.factories import FACTORY_ACTOR, make_customer, make_shop
from tests.integrations.receiver import receiving

# The receiver listens on 127.0.0.1, an address only a deployment that allows it posts to.
pytestmark = pytest.mark.usefixtures("allow_private_urls")


def _delivered(session: Session, url: str) -> EventDelivery:
    shop = make_shop(session)
    subscribe(session, shop_id=shop.id, url=url, events=["customer.blocked"], actor=FACTORY_ACTOR)
    block_customer(
        session,
        customer_id=make_customer(session, shop).id,
        actor=FACTORY_ACTOR,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        notify=False,
    )
    session.commit()
    run_pass(session)
    return session.scalars(select(EventDelivery)).one()


def test_the_settings_page_shows_a_delivery_and_what_the_receiver_answered(
    session: Session, client: TestClient, login: Callable
) -> None:
    with receiving() as receiver:
        delivery = _delivered(session, receiver.url)
    login("admin")

    page = client.get("/settings")

    assert page.status_code == 200
    assert f"<code>{receiver.url}</code>" in page.text
    assert delivery.event_id in page.text
    assert "Delivered" in page.text
    assert f'action="/settings/event-deliveries/{delivery.id}/replay"' in page.text


def test_send_again_on_the_settings_page_queues_the_delivery(
    session: Session, client: TestClient, login: Callable
) -> None:
    with receiving() as receiver:
        delivery = _delivered(session, receiver.url)
    me = login("admin")

    answer = client.post(
        f"/settings/event-deliveries/{delivery.id}/replay",
        data={"csrf_token": me.csrf},
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, "/settings#events-h")
    queued = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == KIND))
    assert queued == 2
