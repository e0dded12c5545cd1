"""A Stripe dispute on a paid order, due in ten days, and a team of two to remind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.disputes.actions import record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from tests.factories import make_customer, make_product, make_shop, make_staff_user, place_order

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
STRIPE = Actor("webhook", "stripe")


def open_dispute(
    session,
    order=None,
    *,
    due=NOW + timedelta(days=10),
    reason="fraudulent",
    gid="dp_1",
    status="needs_response",
):
    report = DisputeReport(
        gateway="stripe",
        gateway_dispute_id=gid,
        amount=129_900,
        currency="NOK",
        status=status,
        gateway_status=status,
        reason=reason,
        gateway_reason=reason,
        evidence_due_at=due,
        opened_at=NOW - timedelta(days=1),
    )
    with frozen(NOW):
        return record_dispute_report(
            session,
            report,
            actor=STRIPE,
            event="charge.dispute.created",
            event_id=f"evt_{gid}",
            occurred_at=NOW - timedelta(days=1),
            order_id=order.id if order else None,
            payload={"id": gid},
        )


@pytest.fixture
def order(session):
    shop = make_shop(session, currency="NOK")
    customer = make_customer(session, shop)
    return place_order(
        session, shop, [(make_product(session, shop, price=129_900, stock=5), 1)], customer=customer
    )


@pytest.fixture
def team(session):
    return [
        make_staff_user(session, "agent", email="agent@example.no"),
        make_staff_user(session, "viewer", email="viewer@example.no"),
    ]
