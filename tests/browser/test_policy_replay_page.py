"""Policy replay in a real browser: a stricter return share typed, and who would move listed."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from storeguard.core.db import make_engine
from tests.analytics.returners import shop_with_a_frequent_returner
from tests.browser.conftest import LiveStore, log_in, screenshot


def test_a_viewer_replays_a_stricter_return_share_and_sees_who_would_move(page, live: LiveStore):
    engine = make_engine(live.extra["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        shop, _ = shop_with_a_frequent_returner(session)
        session.commit()
    engine.dispose()
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/analytics/policy-replay?shop_id={shop.id}")
    expect(page.locator("#proposal-h")).to_be_visible()

    page.fill("#f-return-share", "30")
    page.fill("#f-evidence", "0.4")
    page.click("button:has-text('Show who would move')")

    expect(page.locator("#moves-h + p")).to_have_text("4 customers assessed, 0 open orders decided again.")
    row = page.locator("table.list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Rita Returns")
    expect(row.locator("td").nth(1)).to_have_text("Watch")
    screenshot(page, "70-policy-replay")
