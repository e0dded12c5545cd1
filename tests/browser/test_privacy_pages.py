"""An owner answers a data-protection request in a real browser: exports a customer's data, then
erases it, with a reason and a confirmation, and sees the customer shown as erased."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_an_owner_exports_then_erases_a_blocked_customers_data(page, live: LiveStore):
    blocked_id, _ = live.orders["blocked"]
    log_in(page, live, "owner")
    page.goto(f"{live.base}/customers/{blocked_id}")

    with page.expect_download() as download:
        page.click("text=Export data")
    assert download.value.suggested_filename == f"customer-{blocked_id}.json"

    page.fill("#erase-reason", "Her mail of 1 December asking to be forgotten")
    screenshot(page, "40-customer-erase")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Erase personal data')")

    expect(page.locator(".flash")).to_contain_text("personal data is erased")
    expect(page.locator("h1")).to_have_text(f"Customer #{blocked_id}")
    expect(page.locator(".page-head .badges")).to_contain_text("Personal data erased")
    expect(page.locator("#privacy-h + p")).to_contain_text("Their personal data was erased on")
    expect(page.locator("button:has-text('Erase personal data')")).to_have_count(0)


def test_an_agent_is_offered_neither_export_nor_erasure(page, live: LiveStore):
    second_id, _ = live.orders["second_account"]
    log_in(page, live, "agent")

    page.goto(f"{live.base}/customers/{second_id}")

    expect(page.locator("#privacy-h")).to_have_count(0)
