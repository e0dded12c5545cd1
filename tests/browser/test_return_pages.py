"""A return worked in a real browser: opened from the order, a photo added, inspected and refunded."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def _photo() -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 160, 140)).save(out, format="JPEG")
    return {"name": "parcel.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_an_agent_works_a_return_from_request_to_refund_with_a_photo(page, live: LiveStore):
    order_id, number = live.orders["return"]
    log_in(page, live, "agent")
    page.goto(f"{live.base}/orders/{order_id}")

    page.click("a:has-text('Return items…')")
    page.locator("input[name^='qty-']").nth(1).fill("2")
    page.select_option("#f-reason", "size")
    page.fill("#f-note", "Mittens too small")
    page.click("button:has-text('Open the return')")
    expect(page.locator(".flash")).to_contain_text("opened")
    page.click("button:has-text('Authorize the return')")
    expect(page.locator(".page-head .badge")).to_have_text("Approved")
    page.click("button:has-text('Mark as received')")
    expect(page.locator(".page-head .badge")).to_have_text(
        "Received"
    )  # the page is swapped in: then pick the file
    page.set_input_files("#f-photo", _photo())
    page.click("button:has-text('Upload')")
    expect(page.locator("ul.photos img")).to_have_count(1)
    page.locator("select[name^='condition-']").select_option("new_with_tags")
    page.click("button:has-text('Record inspection')")
    expect(page.locator(".page-head .badge")).to_have_text("Inspected")
    screenshot(page, "23-return-inspected")
    page.click("button:has-text('Refund')")

    expect(page.locator(".page-head .badge")).to_have_text("Refunded")
    expect(page.locator(".timeline li").first).to_contain_text("Return refunded")
    page.goto(f"{live.base}/returns")
    screenshot(page, "24-returns")
    page.goto(f"{live.base}/returns?lang=he")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "27-returns-hebrew")
