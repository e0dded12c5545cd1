"""An appeal in a real browser: the customer writes in Hebrew (right to left) on the public page, the
agent who blocked may not decide, and the owner, a second person, lifts the block."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveStore, log_in, screenshot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_customer_appeals_in_hebrew_and_a_second_person_lifts_the_block(page, browser, live: LiveStore):
    customer_id, link = live.orders["appeal"]
    page.goto(f"{live.base}/appeal/{link}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    expect(page.locator("h1")).to_have_text("בקשו מאיתנו לבדוק שוב")
    screenshot(page, "60-appeal-public-hebrew")

    page.fill("#f-message", "הנעליים הוחזרו באריזה המקורית, ולא נעלו אותן. מצורפת קבלה.")
    page.set_input_files("#f-files", files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("תודה")
    expect(page.locator("#f-message")).to_have_count(0)
    screenshot(page, "61-appeal-sent-hebrew")

    blocker = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB").new_page()
    log_in(blocker, live, "agent")
    blocker.goto(f"{live.base}/appeals")
    blocker.locator("table.list tbody tr").first.locator("a[href^='/appeals/']").click()
    expect(blocker.locator("#decide-h")).to_be_visible()
    expect(blocker.locator("section.steps")).to_contain_text("another person decides its appeal")
    expect(blocker.locator("button:has-text('Decide')")).to_have_count(0)
    appeal_path = blocker.url.removeprefix(live.base)
    blocker.context.close()

    owner = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB").new_page()
    log_in(owner, live, "owner")
    owner.goto(f"{live.base}/appeals")
    screenshot(owner, "62-appeals-queue")
    owner.goto(f"{live.base}{appeal_path}")
    expect(owner.locator(".customer-words")).to_have_attribute("dir", "rtl")
    owner.check("input[name=decision][value=lift]")
    owner.fill("#f-note", "תודה על הקבלה. החסימה הוסרה.")
    screenshot(owner, "63-appeal-decide")
    owner.click("button:has-text('Decide')")
    expect(owner.locator(".flash")).to_contain_text("Decided: the customer is told by mail.")
    expect(owner.locator(".page-head .badge")).to_contain_text("Block lifted")
    screenshot(owner, "64-appeal-decided")
    owner.goto(f"{live.base}/customers/{customer_id}")
    expect(owner.locator("#mail-h")).to_be_visible()
    owner.context.close()

    page.goto(f"{live.base}/appeal/{link}")
    expect(page.locator(".answer")).to_contain_text("החסימה הוסרה: אפשר להזמין אצלנו שוב.")
    screenshot(page, "65-appeal-answer-hebrew")


def test_the_owner_previews_a_hebrew_template_before_saving_it(page, live: LiveStore):
    log_in(page, live, "owner")
    page.goto(f"{live.base}/settings#templates-h")
    page.click("a[href='/settings/templates/appeal_received/he']")
    page.wait_for_url(f"{live.base}/settings/templates/appeal_received/he")
    preview = page.locator("section:has(#preview-h) .mail")
    expect(preview).to_have_attribute("dir", "rtl")

    page.fill("#f-subject", "{{ customer_name }}, הבקשה שלך התקבלה")
    page.click("button[value=preview]")
    expect(preview.locator(".subject")).to_have_text("נועה, הבקשה שלך התקבלה")
    screenshot(page, "66-template-editor-hebrew")
