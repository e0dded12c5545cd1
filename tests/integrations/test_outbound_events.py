"""Outbound events: a subscribed URL receives signed events raised by what storeguard did, retried
until the receiver takes them, each attempt visible, and any delivery replayable."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.models import OutboxMessage
from storeguard.customers.models import Customer
from storeguard.integrations.events.actions import KIND
from storeguard.integrations.events.models import EventDelivery
from storeguard.integrations.events.signing import HEADER, verify
from storeguard.integrations.webhooks.worker import run_pass
from storeguard.lists.blocking import block_customer, lift_block
from storeguard.shops.models import Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_shop
from tests.integrations.receiver import free_port, receiving
from tests.refusals import refusal, row_counts

Headers = Callable[..., dict[str, str]]

# The receiver listens on 127.0.0.1, an address only a deployment that allows it posts to.
pytestmark = pytest.mark.usefixtures("allow_private_urls")


def _subscribe(client: TestClient, auth: Headers, shop: Shop, url: str, events: list[str]) -> dict:
    answer = client.post(
        "/v1/event-subscriptions", json={"shop_id": shop.id, "url": url, "events": events}, headers=auth()
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _block(session: Session, customer: Customer) -> None:
    block_customer(
        session,
        customer_id=customer.id,
        actor=FACTORY_ACTOR,
        reason_code="threats",
        evidence={"notes": ["threatening email 3 May"]},
        notify=False,
    )
    session.commit()


def _make_due(session: Session) -> None:
    """As if the backoff had passed: the queued sends are due now."""
    session.execute(update(OutboxMessage).where(OutboxMessage.kind == KIND).values(next_attempt_at=now()))
    session.commit()


def test_blocking_a_customer_sends_a_signed_customer_blocked_event(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    with receiving() as receiver:
        created = _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        _block(session, customer)
        run_pass(session)

    [got] = receiver.received
    event = json.loads(got.body)
    assert got.path == "/hooks/storeguard"
    assert verify(created["secret"], got.headers[HEADER], got.body, at=int(datetime.now(UTC).timestamp()))
    assert got.headers["Storeguard-Event"] == "customer.blocked"
    assert (event["type"], event["shop_id"]) == ("customer.blocked", shop.id)
    assert (event["data"]["subject_type"], event["data"]["subject_id"]) == ("customer", str(customer.id))
    assert event["data"]["reason"] == "threats"


def test_a_signature_made_with_another_secret_or_too_long_ago_does_not_verify(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    with receiving() as receiver:
        created = _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        _block(session, make_customer(session, shop))
        run_pass(session)

    [got] = receiver.received
    signed_at = int(got.headers[HEADER].split(",")[0].removeprefix("t="))
    assert not verify("whsec_other", got.headers[HEADER], got.body, at=signed_at)
    assert not verify(created["secret"], got.headers[HEADER], got.body, at=signed_at + 301)
    assert not verify(created["secret"], got.headers[HEADER], got.body + b" ", at=signed_at)


def test_a_delivery_to_a_receiver_that_is_down_is_kept_and_sent_once_it_is_up(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    port = free_port()
    created = _subscribe(
        client, auth, shop, f"http://127.0.0.1:{port}/hooks/storeguard", ["customer.blocked"]
    )
    _block(session, make_customer(session, shop))

    run_pass(session)
    [waiting] = client.get(f"/v1/event-subscriptions/{created['id']}/deliveries", headers=auth()).json()[
        "items"
    ]
    _make_due(session)
    with receiving(port) as receiver:
        run_pass(session)

    assert waiting["state"] == "pending"
    assert waiting["attempts"][0]["status_code"] is None
    assert "ConnectError" in waiting["attempts"][0]["error"]
    assert [json.loads(r.body)["id"] for r in receiver.received] == [waiting["event_id"]]
    [delivered] = client.get(f"/v1/event-subscriptions/{created['id']}/deliveries", headers=auth()).json()[
        "items"
    ]
    assert delivered["state"] == "delivered"
    assert [a["status_code"] for a in delivered["attempts"]] == [None, 200]


def test_a_receiver_answering_an_error_is_tried_again_with_its_answer_kept(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    with receiving() as receiver:
        created = _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        receiver.answer = 503
        _block(session, make_customer(session, shop))
        run_pass(session)
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == KIND))

    [delivery] = client.get(f"/v1/event-subscriptions/{created['id']}/deliveries", headers=auth()).json()[
        "items"
    ]
    assert delivery["state"] == "pending"
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (503, "the receiver answered 503")
    ]
    assert message is not None and message.attempts == 1 and message.next_attempt_at > now()


def test_replaying_a_delivery_sends_the_same_event_again(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    with receiving() as receiver:
        created = _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        _block(session, make_customer(session, shop))
        run_pass(session)
        delivery_id = session.scalars(select(EventDelivery.id)).one()
        answer = client.post(f"/v1/event-deliveries/{delivery_id}/replay", headers=auth())
        run_pass(session)

    assert answer.status_code == 202
    assert answer.json()["state"] == "pending"
    first, second = (json.loads(r.body) for r in receiver.received)
    assert first == second
    [delivered] = client.get(f"/v1/event-subscriptions/{created['id']}/deliveries", headers=auth()).json()[
        "items"
    ]
    assert (delivered["state"], [a["status_code"] for a in delivered["attempts"]]) == (
        "delivered",
        [200, 200],
    )


def test_only_the_events_subscribed_to_are_sent(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    with receiving() as receiver:
        _subscribe(client, auth, shop, receiver.url, ["customer.unblocked"])
        _block(session, customer)
        lift_block(session, customer_id=customer.id, actor=FACTORY_ACTOR, reason="appeal accepted")
        session.commit()
        run_pass(session)

    assert [json.loads(r.body)["type"] for r in receiver.received] == ["customer.unblocked"]


def test_another_shops_actions_are_not_sent(session: Session, client: TestClient, auth: Headers) -> None:
    shop, other = make_shop(session), make_shop(session)
    with receiving() as receiver:
        _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        _block(session, make_customer(session, other))
        run_pass(session)

    assert receiver.received == []


def test_a_deleted_subscription_receives_nothing_more(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    with receiving() as receiver:
        created = _subscribe(client, auth, shop, receiver.url, ["customer.blocked"])
        deleted = client.delete(f"/v1/event-subscriptions/{created['id']}", headers=auth())
        _block(session, make_customer(session, shop))
        run_pass(session)

    assert deleted.status_code == 204
    assert receiver.received == []
    assert client.get("/v1/event-subscriptions", headers=auth()).json() == []


def test_the_list_of_subscriptions_never_shows_the_secret(
    session: Session, client: TestClient, auth: Headers
) -> None:
    shop = make_shop(session)
    created = _subscribe(
        client, auth, shop, "https://erp.example.com/hooks", ["order.held", "customer.blocked"]
    )

    listed = client.get("/v1/event-subscriptions", headers=auth()).json()

    assert created["secret"].startswith("whsec_")
    assert listed == [
        {
            "id": created["id"],
            "shop_id": shop.id,
            "url": "https://erp.example.com/hooks",
            "events": ["customer.blocked", "order.held"],
            "description": None,
            "created_at": created["created_at"],
        }
    ]


def test_a_url_that_is_not_http_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    headers = auth()
    before = row_counts(session)

    answer = client.post(
        "/v1/event-subscriptions",
        json={"shop_id": shop.id, "url": "ftp://erp.example.com/hooks", "events": ["customer.blocked"]},
        headers=headers,
    )

    assert refusal(answer) == (422, "event_url_invalid", "url")
    assert row_counts(session) == before


def test_an_unknown_event_name_is_refused(session: Session, client: TestClient, auth: Headers) -> None:
    shop = make_shop(session)
    headers = auth()
    before = row_counts(session)

    answer = client.post(
        "/v1/event-subscriptions",
        json={"shop_id": shop.id, "url": "https://erp.example.com/hooks", "events": ["customer.exploded"]},
        headers=headers,
    )

    assert refusal(answer) == (422, "event_unknown", "events")
    assert row_counts(session) == before


def test_replaying_a_delivery_that_does_not_exist_is_refused(client: TestClient, auth: Headers) -> None:
    answer = client.post("/v1/event-deliveries/999999/replay", headers=auth())

    assert refusal(answer) == (404, "event_delivery_not_found", None)
