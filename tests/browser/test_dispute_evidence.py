"""A dispute's evidence in a real browser: CE3.0 proposed, the PDF downloaded, the evidence sent to a fake Stripe."""

from __future__ import annotations

import pypdfium2
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.models import OutboxMessage
from storeguard.disputes.models import Dispute
from storeguard.integrations.enums import SecretName, SecretScope
from storeguard.integrations.platforms.stripe import outbound as stripe
from storeguard.integrations.secrets import set_secret
from storeguard.integrations.webhooks.worker import hand_over_events
from tests.browser.conftest import LiveStore, log_in, screenshot
from tests.integrations.fake_stripe import FakeStripe


def _send_to_fake_stripe(url: str, dispute_id: int) -> FakeStripe:
    """What the worker does after the commit, against a fake Stripe, with the served app's secret key."""
    engine = make_engine(url)
    saved = get_settings().secret_key
    get_settings().secret_key = "browser-test-key"
    try:
        with Session(engine) as session:
            gateway_id = session.get(Dispute, dispute_id).gateway_dispute_id
            fake = FakeStripe(api_key="sk_test_browser", disputes={gateway_id}).start()
            set_secret(
                session,
                scope=SecretScope.gateway,
                owner="stripe",
                name=SecretName.api_key,
                value=fake.api_key,
                actor=Actor("cli", "browser-test"),
            )
            hand_over_events(session)
            message = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == stripe.KIND))
            stripe.send(session, message, base_url=fake.url)
            session.commit()
    finally:
        get_settings().secret_key = saved
        engine.dispose()
    fake.stop()
    return fake


def test_an_agent_sees_ce3_downloads_the_pdf_and_sends_the_evidence_to_stripe(page, live: LiveStore):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/disputes")
    page.locator("table.list tbody tr").first.locator("a[href^='/disputes/']").click()

    expect(page.locator("#ce3")).to_be_visible()
    expect(page.locator("#ce3 tbody tr")).to_have_count(2)
    screenshot(page, "29-dispute-evidence")
    dispute_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    with page.expect_download() as download:
        page.click("a:has-text('Download PDF')")
    pdf = pypdfium2.PdfDocument(download.value.path())
    assert "Compelling Evidence 3.0" in "".join(p.get_textpage().get_text_range() for p in pdf)

    page.click("button:has-text('Send evidence to Stripe')")
    expect(page.locator(".flash")).to_contain_text("The evidence is on its way to the gateway.")
    expect(page.locator(".evidence .notice")).to_contain_text("Sent to the gateway")

    fake = _send_to_fake_stripe(live.extra["database_url"], dispute_id)
    sent = next(iter(fake.submitted.values()))
    assert sent["submit"] == "true" and sent["evidence[uncategorized_file]"] == "file_1"
    assert (
        "evidence[enhanced_evidence][visa_compelling_evidence_3][prior_undisputed_transactions][1][customer_device_id]"
        in sent
    )


def test_the_evidence_pack_reads_right_to_left_in_hebrew(page, live: LiveStore):
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/disputes?lang=he")
    page.locator("table.list tbody tr").first.locator("a[href^='/disputes/']").click()

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#evidence-h")).to_contain_text("חבילת ראיות")
    screenshot(page, "29-dispute-evidence-hebrew")
