"""A risk analyst in a real browser: from a blocked customer, through the link graph, to the second
account, blocked with evidence from its orders after reading the notice it will get."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_an_analyst_follows_the_link_graph_to_a_second_account_and_blocks_it_with_evidence(
    page, live: LiveStore
):
    blocked_id, _ = live.orders["blocked"]
    second_id, _ = live.orders["second_account"]
    order_id, order_number = live.orders["second_account_order"]
    log_in(page, live, "agent")

    page.goto(f"{live.base}/customers/{blocked_id}")
    expect(page.locator("#blocks-h + ol .badge").first).to_have_text("Active")
    screenshot(page, "13-customer")
    page.locator(f'.link-graph a[href="/customers/{second_id}"]').click()
    page.wait_for_url(f"{live.base}/customers/{second_id}")
    expect(page.locator(".path")).to_contain_text(f"shares dev-holm-1 with customer #{blocked_id}")

    expect(page.locator(f'a[href="/customers/{second_id}/block"]')).to_have_text("Block…")
    page.goto(f"{live.base}/customers/{second_id}/block")  # a full load: htmx is ready for the preview
    page.select_option("#f-reason_code", "fraud")
    expect(page.locator("#notice-preview .mail")).to_have_attribute("lang", "nb")  # htmx fetched the preview
    page.check(f"#f-order-{order_id}")
    page.fill("#f-notes", "Second account of a blocked customer: same device.")
    screenshot(page, "14-block-dialog")
    page.click("button:has-text('Block customer')")

    page.wait_for_url(f"{live.base}/customers/{second_id}")
    expect(page.locator(".flash")).to_contain_text("is blocked")
    expect(page.locator("#blocks-h + ol li").first).to_contain_text("Active")
    expect(page.locator("#blocks-h + ol li").first.locator(f'a[href="/orders/{order_id}"]')).to_have_count(1)
    expect(page.locator(".timeline li").first).to_contain_text("Blocked")


def test_the_customer_list_finds_a_customer_as_one_types(page, live: LiveStore):
    second_id, _ = live.orders["second_account"]
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/customers")

    page.fill("#f-q", "siri.h@")

    page.wait_for_url(re.compile(r"/customers\?q=siri"))
    expect(page.locator("#customers-results tbody tr")).to_have_count(1)
    expect(page.locator("#customers-results")).to_have_count(1)  # the results replaced, not nested
    expect(page.locator(f'#customers-results a[href="/customers/{second_id}"]')).to_have_count(1)
    screenshot(page, "15-customers")


def test_a_viewer_is_offered_no_block(page, live: LiveStore):
    second_id, _ = live.orders["second_account"]
    log_in(page, live, "viewer")

    page.goto(f"{live.base}/customers/{second_id}")

    expect(page.locator(f'a[href="/customers/{second_id}/block"]')).to_have_count(0)


def _bracketers(url: str) -> set[int]:
    """The demo customers whose stored assessment found bracketing (the load assessed everyone)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from storeguard.core.db import make_engine
    from storeguard.risk.models import CustomerRisk

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(CustomerRisk.customer_id, CustomerRisk.finding_types)).all()
            return {cid for cid, types in rows if "bracketing" in (types or "").split(",")}
    finally:
        engine.dispose()


def test_a_viewer_narrows_the_customers_list_to_the_bracketers(page, live: LiveStore):
    bracketers = _bracketers(live.extra["database_url"])
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/customers")
    option = page.locator("#f-finding option[value='bracketing']")
    expect(option).to_have_text(f"Bracketing ({len(bracketers)})")

    page.select_option("#f-finding", "bracketing")

    expect(page.locator("#customers-results .chip")).to_contain_text("Finding: Bracketing")
    expect(page).to_have_url(re.compile(r"finding=bracketing"))
    rows = page.locator("#customers-results tbody tr td:first-child a")
    expect(rows).to_have_count(len(bracketers))
    shown = {
        int(href.rsplit("/", 1)[1])
        for href in rows.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    }
    assert shown == bracketers and len(bracketers) >= 2
    screenshot(page, "customers-bracketers")

    page.locator("#customers-results .chip a").click()
    page.wait_for_url(f"{live.base}/customers")
    expect(page.locator("#customers-results .chip")).to_have_count(0)
