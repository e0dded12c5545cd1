"""The integrations page: deliveries by status with their errors, the outbox, and sending again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storeguard.core.models import AuditEvent
from storeguard.integrations.enums import DeliverySource, DeliveryStatus
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.webhooks.inbox import record_delivery
from tests.factories import make_shop


@pytest.fixture
def deliveries(session):
    shop = make_shop(session)
    failed = record_delivery(
        session,
        source=DeliverySource.shopify,
        delivery_id="w-1",
        topic="refunds/create",
        body=b"{}",
        headers={},
        shop_id=shop.id,
    )
    done = record_delivery(
        session,
        source=DeliverySource.shopify,
        delivery_id="w-2",
        topic="orders/create",
        body=b"{}",
        headers={},
        shop_id=shop.id,
    )
    row = session.get(WebhookDelivery, failed)
    row.status, row.attempts, row.error = (
        DeliveryStatus.failed,
        8,
        "a refund for order 5, which storeguard has not received yet",
    )
    session.get(WebhookDelivery, done).status = DeliveryStatus.processed
    session.flush()
    return failed, done


def _states(session) -> list[tuple]:
    session.expire_all()
    return [
        tuple(r)
        for r in session.execute(
            select(WebhookDelivery.delivery_id, WebhookDelivery.status, WebhookDelivery.attempts).order_by(
                WebhookDelivery.id
            )
        )
    ]


def test_failed_deliveries_show_their_error_and_a_retry_button(client, login, deliveries):
    login("admin")

    page = client.get("/integrations?status=failed")

    assert page.status_code == 200
    assert "which storeguard has not received yet" in page.text
    assert f'action="/integrations/deliveries/{deliveries[0]}/retry"' in page.text
    assert "orders/create" not in page.text


def test_retrying_a_failed_delivery_queues_it_again_and_records_who(client, login, session, deliveries):
    me = login("admin")

    answer = client.post(
        f"/integrations/deliveries/{deliveries[0]}/retry",
        data={"csrf_token": me.csrf},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert _states(session) == [("w-1", "received", 0), ("w-2", "processed", 0)]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "webhook_delivery")
    ).all()
    assert actions == ["webhook_delivery.retried"]


def test_retrying_a_delivery_that_did_not_fail_is_refused_and_changes_nothing(
    client, login, session, deliveries
):
    me = login("admin")
    before = _states(session)

    answer = client.post(f"/integrations/deliveries/{deliveries[1]}/retry", data={"csrf_token": me.csrf})

    assert answer.status_code == 200  # back on the page with the reason
    assert "This delivery did not fail, so there is nothing to retry." in answer.text
    assert _states(session) == before


def test_an_agent_may_not_see_or_retry_deliveries(client, login, session, deliveries):
    me = login("agent")
    before = _states(session)

    assert client.get("/integrations").status_code == 403
    assert (
        client.post(
            f"/integrations/deliveries/{deliveries[0]}/retry", data={"csrf_token": me.csrf}
        ).status_code
        == 403
    )
    assert _states(session) == before
