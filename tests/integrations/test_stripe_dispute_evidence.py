"""Dispute evidence goes to Stripe after the commit: the pack PDF uploaded, then the evidence submitted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.errors import Conflict
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import GiveUp
from storeguard.disputes.actions import submit_evidence
from storeguard.integrations.enums import SecretName, SecretScope
from storeguard.integrations.platforms.stripe import outbound as stripe
from storeguard.integrations.secrets import set_secret
from storeguard.integrations.webhooks.worker import hand_over_events
from tests.disputes.conftest import NOW
from tests.disputes.evidence_story import fraud_story
from tests.integrations.fake_stripe import FakeStripe

AGENT = Actor("staff", "agent@example.no")


@pytest.fixture
def fake():
    server = FakeStripe(api_key="sk_test_evidence", disputes={"dp_1"}).start()
    yield server
    server.stop()


def _queued(session) -> OutboxMessage:
    with frozen(NOW):
        hand_over_events(session)
    return session.scalar(select(OutboxMessage).where(OutboxMessage.kind == stripe.KIND))


def _submitted(session, fake):
    set_secret(
        session,
        scope=SecretScope.gateway,
        owner="stripe",
        name=SecretName.api_key,
        value=fake.api_key,
        actor=AGENT,
    )
    dispute = fraud_story(session)
    with frozen(NOW):
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)
    return dispute


def test_the_pack_is_uploaded_then_the_evidence_submitted_with_its_file(session, fake):
    _submitted(session, fake)
    message = _queued(session)

    stripe.send(session, message, base_url=fake.url)

    sent = fake.submitted["dp_1"]
    assert list(fake.files) == ["file_1"]
    assert (sent["evidence[uncategorized_file]"], sent["evidence[customer_purchase_ip]"]) == (
        "file_1",
        "84.210.1.1",
    )
    assert sent["evidence[shipping_tracking_number]"] == "70712345678"
    assert (
        sent[
            "evidence[enhanced_evidence][visa_compelling_evidence_3][prior_undisputed_transactions][1][charge]"
        ]
        == "ch_prior_200"
    )
    assert message.payload["result"] == {"id": "dp_1", "status": "under_review"}


def test_a_retried_message_does_not_upload_the_pack_again(session, fake):
    _submitted(session, fake)
    message = _queued(session)
    fake.disputes.clear()  # the first submission fails after the upload

    with pytest.raises(GiveUp):
        stripe.send(session, message, base_url=fake.url)
    fake.disputes.add("dp_1")
    stripe.send(session, message, base_url=fake.url)

    assert (list(fake.files), list(fake.submitted)) == (["file_1"], ["dp_1"])


def test_without_a_stripe_key_nothing_is_sent(session, fake):
    dispute = fraud_story(session)
    with frozen(NOW):
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)
    message = _queued(session)

    with pytest.raises(GiveUp, match="no Stripe API key"):
        stripe.send(session, message, base_url=fake.url)

    assert (fake.files, fake.submitted) == ({}, {})


def test_a_refused_submission_queues_nothing_for_stripe(session, fake):
    dispute = fraud_story(session)

    with frozen(dispute.evidence_due_at + timedelta(hours=1)), pytest.raises(Conflict):
        submit_evidence(session, dispute_id=dispute.id, actor=AGENT)

    assert _queued(session) is None
