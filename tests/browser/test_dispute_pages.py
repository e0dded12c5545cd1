"""Disputes in a real browser: the inbox by deadline, and a dispute contested from its page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_an_agent_opens_the_most_urgent_dispute_and_contests_it(page, live: LiveStore):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/disputes")
    screenshot(page, "25-disputes")

    page.locator("table.list tbody tr").first.locator("a[href^='/disputes/']").click()
    expect(page.locator("#answer-h")).to_be_visible()
    page.fill("#f-note", "Posten shows delivery to the mailbox.")
    page.click("button:has-text('Contest')")

    expect(page.locator(".flash")).to_contain_text("Marked as contested")
    expect(page.locator(".timeline li").first).to_contain_text("Decided to contest")
    screenshot(page, "26-dispute")
    page.goto(f"{live.base}/disputes?lang=he")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "28-disputes-hebrew")
