"""The order page shows what the buyer wrote under each line, and an app's own data folded away."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_the_order_page_shows_a_lines_properties_under_it(page, live: LiveStore):
    order_id, _ = live.orders["viewer"]
    log_in(page, live, "viewer")

    page.goto(f"{live.base}/orders/{order_id}")

    # on a row of its own under the line, across the whole table
    shown = page.locator("tr.line-extra > td[colspan='7'] > dl.line-properties").first
    expect(shown.locator("dt")).to_have_text(["Monogram", "Gift message"])
    expect(shown.locator("dd").nth(1)).to_have_text("God jul, mamma!\nKlem fra Kari")
    expect(page.locator("details.line-properties dd")).not_to_be_visible()
    page.click("details.line-properties summary")
    expect(page.locator("details.line-properties dd")).to_have_text("b-2041")
    screenshot(page, "order-line-properties")
    table = page.locator("tr.line-extra").first.locator("xpath=ancestor::table").bounding_box()
    row = page.locator("tr.line-extra").first.bounding_box()
    assert (row["x"], row["width"]) == (table["x"], table["width"])
    order_id, _ = live.orders["hebrew"]
    page.goto(f"{live.base}/orders/{order_id}?lang=he")
    expect(page.locator("details.line-properties summary")).to_have_text("נתוני אפליקציה")
    screenshot(page, "order-line-properties-hebrew")
