"""Settings in a real browser: the notices change as one picks a reason, a weight is saved, Hebrew mirrors."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_picking_another_reason_shows_its_notice_in_every_language(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/settings#notices-h")

    page.select_option("#f-notice_reason", "threats")

    expect(page.locator("#notice-grid article[lang=nb]")).to_contain_text("inneholdt trusler")
    expect(page.locator("#notice-grid article")).to_have_count(4)
    expect(page.locator("#notice-grid article[lang=he]")).to_have_attribute("dir", "rtl")
    screenshot(page, "21-settings-notices")


def test_an_owner_saves_a_signal_weight_and_sees_it_kept(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/settings")

    page.fill("#f-w\\.disposable_email", "35")
    page.click("button:has-text('Save weights')")

    expect(page.locator(".flash, [role=status]").first).to_contain_text("The signal weights are saved")
    expect(page.locator("#f-w\\.disposable_email")).to_have_value("35")


def test_the_settings_page_in_hebrew_is_right_to_left(page, live: LiveStore):
    log_in(page, live, "owner")

    page.goto(f"{live.base}/settings?lang=he")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "22-settings-hebrew")
