"""A support agent's and a viewer's work in a real browser, and the pages in Hebrew."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_log_in_and_land_on_the_dashboard(page, live: LiveStore):
    page.goto(f"{live.base}/")
    page.wait_for_url(re.compile(r"/login"))
    screenshot(page, "01-login")

    log_in(page, live, "owner")

    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator(".tile .label").first.inner_text() == "Held for review"
    assert page.locator('img[src="/decisions/chart.svg"]').evaluate("img => img.naturalWidth") > 0
    screenshot(page, "02-dashboard")
    page.click("text=Sent to review today")
    page.wait_for_url(re.compile(r"/decisions\?outcome=review"))
    screenshot(page, "08-decisions")


def test_an_agent_finds_an_order_cancels_it_without_refund_and_it_stays_paid(page, live: LiveStore):
    order_id, number = live.orders["cancel"]
    log_in(page, live, "agent")

    page.click("nav >> text=Orders")
    page.fill("#f-q", number)  # htmx refreshes the results as the agent types, and the address
    page.wait_for_url(re.compile(r"/orders\?q=%23"))
    expect(page.locator("#orders-results tbody tr")).to_have_count(1)
    assert page.locator("#orders-results tbody tr a").inner_text() == number
    screenshot(page, "03-orders")
    page.click(f'#orders-results a[href="/orders/{order_id}"]')
    page.wait_for_url(f"{live.base}/orders/{order_id}")
    screenshot(page, "04-order")
    page.click("text=Cancel order")
    page.wait_for_url(f"{live.base}/orders/{order_id}/cancel")
    assert "does not move any money by itself" in page.locator(".explain").inner_text()
    screenshot(page, "05-cancel-dialog")
    page.select_option("#f-reason", "customer")
    page.fill("#f-staff_note", "Customer phoned: ordered twice")
    page.click("button.danger")

    page.wait_for_url(f"{live.base}/orders/{order_id}")
    assert page.locator(".flash").inner_text() == f"Order {number} cancelled. No money was moved."
    badges = page.locator(".page-head .badges").inner_text()
    assert "Cancelled" in badges and "Paid" in badges
    assert "Customer phoned: ordered twice" in page.locator(".timeline").inner_text()


def test_cancel_is_refused_with_the_reason_while_a_shipment_is_under_way(page, live: LiveStore):
    order_id, _ = live.orders["shipping"]
    log_in(page, live, "agent")

    page.goto(f"{live.base}/orders/{order_id}/cancel")

    assert "Cancel the fulfilment first" in page.locator(".notice.bad").inner_text()
    assert page.locator("button.danger").count() == 0


def test_an_agent_refunds_one_line_with_restock(page, live: LiveStore):
    order_id, _ = live.orders["refund"]
    log_in(page, live, "agent")
    page.goto(f"{live.base}/orders/{order_id}")

    page.click(".page-head >> text=Refund")
    page.wait_for_url(f"{live.base}/orders/{order_id}/refund")
    assert "are not returned by the gateway" in page.locator(".explain").inner_text()
    first = page.locator('input[name^="qty-"]').first
    line_id = first.get_attribute("name").removeprefix("qty-")
    first.fill("1")
    page.check(f'input[name="restock-{line_id}"]')
    expect(page.locator("#refund-total")).to_contain_text(
        "This refund returns NOK\xa0499.00 to the customer."
    )
    page.fill("#f-reason", "returned")
    screenshot(page, "06-refund-dialog")
    page.click("button.primary")

    page.wait_for_url(f"{live.base}/orders/{order_id}")
    assert page.locator(".flash").inner_text().startswith("Refunded NOK\xa0499.00.")
    first_line = page.locator("#lines-h + .table-wrap tbody tr").first.locator("td")
    assert [first_line.nth(i).inner_text() for i in (4, 5)] == ["1", "1"]  # refunded, restocked
    assert "Partially refunded" in page.locator(".page-head .badges").inner_text()


def test_a_viewer_is_shown_no_agents_action_and_a_forged_one_is_refused(page, live: LiveStore):
    order_id, _ = live.orders["viewer"]
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/orders/{order_id}")

    assert page.locator(".page-head .actions").count() == 0
    assert page.locator('form[action$="/fulfil"], form[action$="/capture"]').count() == 0
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    forged = page.request.post(
        f"{live.base}/orders/{order_id}/cancel",
        form={"csrf_token": token, "reason": "fraud", "refund": "on"},
        max_redirects=0,
    )
    page.reload()

    assert forged.status == 403
    assert "Open" in page.locator(".page-head .badges").inner_text()


def test_a_page_in_hebrew_is_right_to_left_and_mirrored(page, live: LiveStore):
    order_id, number = live.orders["hebrew"]
    log_in(page, live, "owner")

    page.goto(f"{live.base}/orders/{order_id}?lang=he")

    html = page.locator("html")
    assert (html.get_attribute("dir"), html.get_attribute("lang")) == ("rtl", "he")
    assert page.locator("h1").inner_text().startswith("הזמנה")
    sidebar, main = page.locator(".sidebar").bounding_box(), page.locator("main").bounding_box()
    assert sidebar["x"] > main["x"]  # the navigation is on the right
    screenshot(page, "07-order-hebrew")
    page.goto(f"{live.base}/")  # the language stays for the session
    assert page.locator("html").get_attribute("dir") == "rtl"
    screenshot(page, "09-dashboard-hebrew")
    page.goto(f"{live.base}/orders/{order_id}?lang=zh")  # and back to left to right in Chinese
    assert (page.locator("html").get_attribute("dir"), page.locator("h1").inner_text()) == (
        "ltr",
        f"订单 {number}",
    )
    screenshot(page, "10-order-chinese")
