"""A Shopify Payments dispute's evidence goes to Shopify as ``disputeEvidenceUpdate``, submitted once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.outbox import deliver_due
from storeguard.disputes.actions import submit_evidence
from storeguard.integrations.actions import configure_shop
from storeguard.integrations.platforms.shopify import outbound
from storeguard.integrations.webhooks.worker import hand_over_events
from storeguard.shops.models import Shop
from tests.disputes.conftest import NOW
from tests.disputes.evidence_story import fraud_story
from tests.integrations.conftest import OPERATOR
from tests.integrations.fake_shopify import FakeShopify

TOKEN = "shpat_dispute_token"


@pytest.fixture
def fake() -> Iterator[FakeShopify]:
    server = FakeShopify(token=TOKEN).start()
    yield server
    server.stop()


def test_the_evidence_is_sent_to_shopify_with_submit(session: Session, fake: FakeShopify) -> None:
    dispute = fraud_story(session)
    dispute.gateway, dispute.gateway_dispute_id = "shopify_payments", "1052"
    shop = session.get(Shop, dispute.shop_id)
    shop.platform = "shopify"
    configure_shop(session, shop.domain, actor=OPERATOR, access_token=TOKEN, api_base_url=fake.url)
    with frozen(NOW):
        submit_evidence(session, dispute_id=dispute.id, actor=Actor("staff", "agent"))
        hand_over_events(session)
        hand_over_events(session)  # handed over twice: still one call
        deliver_due(session, outbound.senders(session))

    assert fake.refused == []
    assert [c["mutation"] for c in fake.calls] == ["disputeEvidenceUpdate"]
    sent = fake.calls[0]["variables"]
    assert sent["id"] == "gid://shopify/ShopifyPaymentsDisputeEvidence/1052"
    assert (sent["input"]["submitEvidence"], sent["input"]["customerEmailAddress"]) == (
        True,
        "kari@example.no",
    )
    assert sent["input"]["refundPolicyDisclosure"].startswith("Angrerett (version 1")
