"""Retention limits on the settings page in a real browser: a dry run counts what would go now
under the limits typed, then the limits are saved. (A bad number, answered 422 and shown on its
field, is tested without a browser: the browser logs a 422 as a console error.)"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, LiveStore, log_in

SECTION = "section[aria-labelledby=retention-h]"


def test_an_owner_tries_limits_in_a_dry_run_then_saves_them(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/settings#retention-h")

    page.fill("#f-closed_cases_days", "30")
    page.fill("#f-messages_days", "365")
    page.click(f"{SECTION} button:has-text('Show what would be erased now')")
    expect(page.locator("#retention-dry-run")).to_contain_text("Closed cases erased")
    expect(page.locator("#f-messages_days")).to_have_value("365")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(SECTION).screenshot(path=str(SCREENSHOTS / "23-settings-retention-dry-run.png"))

    page.click(f"{SECTION} button:has-text('Save retention limits')")
    expect(page.locator(".flash, [role=status]").first).to_contain_text("The retention limits are saved")
    expect(page.locator("#f-closed_cases_days")).to_have_value("30")
    expect(page.locator("#f-expired_blocks_days")).to_have_value("")
