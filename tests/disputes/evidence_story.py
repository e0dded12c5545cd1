"""A fraud dispute on an order whose buyer has earlier undisputed orders from the same device and address."""

from __future__ import annotations

from datetime import timedelta

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen, now
from storeguard.core.outbox import enqueue
from storeguard.disputes.models import DisputeNote
from storeguard.orders.enums import FulfillmentState, TransactionKind
from storeguard.orders.models import Fulfillment, Transaction
from storeguard.policies.actions import publish_policy_version
from tests.disputes.conftest import NOW, open_dispute
from tests.factories import make_customer, make_order, make_shop

ADDRESS = {
    "name": "Kari Nordmann",
    "address1": "Storgata 1",
    "zip": "0155",
    "city": "Oslo",
    "country_code": "NO",
}
ELSEWHERE = {
    "name": "Kari Nordmann",
    "address1": "Fjordveien 9",
    "zip": "5003",
    "city": "Bergen",
    "country_code": "NO",
}


def prior_order(
    session, shop, customer, days, *, ip="84.210.1.1", device="dev-kari", address=ADDRESS, number=None
):
    """An order ``days`` before NOW, paid by card (a Stripe charge)."""
    order = make_order(
        session,
        shop,
        customer=customer,
        number=number or f"#P{days}",
        created_at=NOW - timedelta(days=days),
        browser_ip=ip,
        device_id=device,
        shipping_address=address,
        billing_address=address,
    )
    session.add(
        Transaction(
            order_id=order.id,
            kind=TransactionKind.capture,
            amount=order.total,
            currency=order.currency,
            gateway="stripe",
            gateway_reference=f"ch_prior_{days}",
        )
    )
    session.flush()
    return order


def fraud_story(session, *, locale="nb", priors=(150, 200), reason="fraudulent"):
    """The shop, the disputed order (delivered), its dispute, and the earlier orders; returns the dispute."""
    shop = make_shop(session, currency="NOK", name="Fjellsport")
    customer = make_customer(
        session, shop, email="kari@example.no", first_name="Kari", last_name="Nordmann", locale=locale
    )
    publish_policy_version(
        session,
        shop_id=shop.id,
        kind="refund",
        title="Angrerett",
        body="14 dagers angrerett.",
        actor=Actor("staff", "eier"),
        effective_from=NOW - timedelta(days=400),
    )
    for days in priors:
        prior_order(session, shop, customer, days)
    order = prior_order(session, shop, customer, 2, number="#2001")
    session.add(
        Fulfillment(
            order_id=order.id,
            state=FulfillmentState.delivered,
            carrier="Posten",
            tracking_number="70712345678",
            created_at=NOW - timedelta(days=1, hours=20),
            delivered_at=NOW - timedelta(days=1),
        )
    )
    session.flush()
    # Due ten days after whichever is later, the story's day or today: page tests run on the real clock.
    dispute = open_dispute(session, order, reason=reason, due=max(NOW, now()) + timedelta(days=10))
    with frozen(NOW - timedelta(days=1, hours=20)):
        enqueue(
            session,
            "email",
            {"to": "kari@example.no", "subject": "Ordren er sendt", "text": "Sporingsnummer 70712345678"},
        )
    dispute.notes.append(
        DisputeNote(
            body="Kunden har ikke svart på e-post.", author="agent", created_at=NOW - timedelta(hours=1)
        )
    )
    session.flush()
    return dispute
