"""A known bracketer's page in a real browser: the finding with its orders, the score and how it adds
up, the suggested segment and its privileges, and a person moving the customer into it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.db import make_engine
from storeguard.orders.models import Order
from storeguard.risk.models import CustomerRisk
from tests.browser.conftest import LiveStore, log_in, screenshot


def _bracketer(url: str) -> tuple[int, str, list[str]]:
    """The demo's first customer assessed as bracketing with a segment suggested (the load assessed
    everyone): their id, the suggestion and the numbers of the orders the finding rests on."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(CustomerRisk)
                .where(
                    CustomerRisk.suggested != CustomerRisk.segment,
                    CustomerRisk.suggested.in_(["watch", "restricted"]),
                )
                .order_by(CustomerRisk.customer_id)
            ).all()
            row = next(r for r in rows if "bracketing" in (r.finding_types or ""))
            finding = next(f for f in row.findings if f["type"] == "bracketing")
            numbers = dict(
                session.execute(
                    select(Order.id, Order.number).where(Order.id.in_(finding["order_ids"]))
                ).all()
            )
            return row.customer_id, str(row.suggested), [numbers[i] for i in finding["order_ids"][:12]]
    finally:
        engine.dispose()


def test_an_owner_sees_a_bracketers_finding_score_and_suggested_segment_and_moves_them(page, live: LiveStore):
    customer_id, suggested, numbers = _bracketer(live.extra["database_url"])
    log_in(page, live, "owner")
    page.goto(f"{live.base}/customers/{customer_id}")

    panel = page.locator("section[aria-labelledby='risk-h']")
    finding = panel.locator(".findings li", has_text="Bracketing")
    expect(finding).to_contain_text("sizes or colours of one product")
    expect(finding.locator("a")).to_have_text(numbers)
    expect(panel.locator(".contributions li").first).to_contain_text("sizes or colours")
    expect(panel).to_contain_text("Privileges:")
    label = suggested.title()
    expect(panel.locator(".suggestion")).to_contain_text(f"suggest the {label} segment")
    screenshot(page, "risk-bracketer")

    panel.locator(f"button:has-text('Move to {label}')").click()

    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("section[aria-labelledby='risk-h'] h2 .badges")).to_have_text(label)
    expect(page.locator("section[aria-labelledby='risk-h'] .suggestion")).to_have_count(0)
