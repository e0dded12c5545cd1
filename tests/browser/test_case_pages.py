"""Cases in a real browser: the inbox, the Norwegian abusive thread with its incidents, a reply."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_an_agent_opens_the_abusive_norwegian_thread_sees_the_words_and_answers(page, live: LiveStore):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/cases")
    screenshot(page, "40-cases")

    page.locator("table.list tbody tr a[href^='/cases/']", has_text="Bestilling").first.click()
    expect(page.locator("#thread-h")).to_be_visible()
    expect(page.locator("#incidents-h")).to_be_visible()
    expect(page.locator("mark", has_text="jævla*").first).to_be_visible()
    expect(page.locator("#proposal-h")).to_contain_text("Block proposed")
    expect(page.locator("#channel option")).to_have_count(1)  # email only after repeated abuse
    page.fill("#f-body", "Vi har sendt pakken på nytt i dag.")
    page.click("button:has-text('Send answer')")

    expect(page.locator(".flash")).to_contain_text("Answer sent")
    expect(page.locator("ol.thread li").last).to_contain_text("Vi har sendt pakken på nytt i dag.")
    screenshot(page, "41-case")
