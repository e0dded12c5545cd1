"""A risk analyst writes a rule in a real browser: a typo is shown under its place, fixed, saved, backtested."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot


def test_an_analyst_sees_the_caret_under_a_typo_fixes_it_saves_and_backtests_the_rule(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/rules/new")
    page.fill("#f-name", "Big first orders")

    page.locator("#f-source").press_sequentially("review if order.totl > 300", delay=5)

    check = page.locator("#rule-check")
    expect(check).to_contain_text("Line 1, column 11:")
    expect(check).to_contain_text("order.total")  # the nearest fact is suggested
    expect(check.locator("pre.caret")).to_have_text(re.compile(r"review if order\.totl > 300\n {10}\^+"))
    screenshot(page, "16-rule-editor")

    page.fill("#f-source", "review if order.total > 300 and order.is_first_order")
    expect(check).to_contain_text("The rule is valid.")
    page.click("button:has-text('Save rule')")
    page.wait_for_url(re.compile(r"/rules/\d+$"))
    expect(page.locator(".flash")).to_contain_text("saved")

    page.click("button:has-text('Run backtest')")
    result = page.locator("#backtest-result")
    expect(result).to_contain_text("would have been stopped")
    expect(result).to_contain_text("were good orders")
    screenshot(page, "17-backtest")


def test_a_viewer_reads_a_rule_but_is_offered_no_save(page, live: LiveStore):
    log_in(page, live, "viewer")

    page.goto(f"{live.base}/rules")

    expect(page.locator('a[href="/rules/new"]')).to_have_count(0)
