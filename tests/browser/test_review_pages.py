"""The review queue in a real browser: an agent works it with the keyboard; a viewer cannot."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot

ORDER_LINK = "#review-order-h a"


def _shown_order_id(page) -> str:  # noqa: ANN001
    return page.locator(ORDER_LINK).get_attribute("href").rsplit("/", 1)[-1]


def test_an_agent_approves_the_oldest_held_order_with_the_keyboard_and_the_next_one_follows(
    page, live: LiveStore
):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/reviews")
    first = _shown_order_id(page)
    position = page.locator(".queue-bar .position").inner_text()
    screenshot(page, "11-review-queue")

    page.keyboard.press("a")

    page.wait_for_url(re.compile(r"/reviews/\d+$"))
    expect(page.locator(ORDER_LINK)).not_to_have_attribute("href", f"/orders/{first}")
    assert re.match(r"1 of (\d+) waiting", position)
    waiting_before = int(re.match(r"1 of (\d+) waiting", position).group(1))
    expect(page.locator(".queue-bar .position")).to_contain_text(f"of {waiting_before - 1} waiting")
    page.goto(f"{live.base}/reviews/{first}")
    expect(page.locator("#review-work")).to_contain_text("This order no longer waits for review.")


def test_the_keys_do_nothing_while_the_agent_types_a_note(page, live: LiveStore):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/reviews")
    shown = _shown_order_id(page)

    page.keyboard.press("n")
    page.keyboard.type("a j k")

    assert page.locator("#f-body").input_value() == "a j k"
    assert _shown_order_id(page) == shown


def test_a_viewer_is_offered_no_decision_and_the_approve_key_does_nothing(page, live: LiveStore):
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/reviews")
    shown = _shown_order_id(page)

    page.keyboard.press("a")

    expect(page.locator('[data-shortcut="approve"]')).to_have_count(0)
    assert _shown_order_id(page) == shown


def test_an_admin_filters_the_audit_log_by_who_did_it(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/audit")
    screenshot(page, "12-audit-log")
    who = live.users["owner"]

    page.fill("#f-actor", f"staff:{who}")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/audit\?.*actor="))
    actors = page.locator("table.audit tbody tr td:nth-child(2)").all_inner_texts()
    assert actors and all(who in a for a in actors)


def test_an_admin_sees_failed_deliveries_with_their_error(page, live: LiveStore):
    log_in(page, live, "owner")

    page.goto(f"{live.base}/integrations")

    expect(page.locator("h1")).to_have_text("Integrations")
    screenshot(page, "18-integrations")


def test_the_lists_page_filters_by_type(page, live: LiveStore):
    log_in(page, live, "agent")
    page.goto(f"{live.base}/lists")

    page.select_option("#f-type", "email")

    page.wait_for_url(re.compile(r"/lists\?.*type=email"))
    types = page.locator("#entries-results tbody tr td:first-child .muted").all_inner_texts()
    assert types and set(types) == {"email"}
    screenshot(page, "19-lists")


def test_an_owner_makes_an_api_key_and_sees_it_once(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/settings")

    page.fill("#f-key_name", "checkout")
    page.click("button:has-text('Make key')")

    expect(page.locator("code.secret")).to_have_text(re.compile(r"^sg_"))
    screenshot(page, "20-settings")
    page.goto(f"{live.base}/settings")
    expect(page.locator("code.secret")).to_have_count(0)
