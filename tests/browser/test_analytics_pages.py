"""Analytics in a real browser: the traits of blocked customers, a period chosen, the losses chart."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_a_viewer_reads_the_traits_then_the_losses_of_a_chosen_period(page, live: LiveStore):
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/analytics")
    expect(page.locator("#traits-h")).to_be_visible()
    expect(page.locator(".tabs a[aria-current='page']")).to_have_text("Blocked customers' traits")
    screenshot(page, "60-analytics-traits")

    page.click(".tabs a[href^='/analytics/losses']")
    expect(page.locator("figure.chart svg")).to_be_visible()
    page.fill("#f-since", "2026-01-01")
    page.click("button:has-text('Show')")

    expect(page.locator(".period-note")).to_contain_text("Jan 1, 2026")
    csv_link = page.locator("a:has-text('Export CSV')")
    expect(csv_link).to_have_attribute(
        "href", re.compile(r"^/analytics/losses\.csv\?since=2026-01-01&until=")
    )
    screenshot(page, "61-analytics-losses")
    page.goto(f"{live.base}/analytics/returns?lang=he")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "62-analytics-returns-hebrew")
