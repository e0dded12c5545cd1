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
    expect(row.locator("td").nth(2)).to_have_text("Watch")
    screenshot(page, "70-policy-replay")


def test_a_viewer_tries_a_new_rule_and_fewer_link_types_and_sees_who_would_move(page, live: LiveStore):
    from tests.analytics.test_replay_rules_and_links import _big_order, _linked_pair
    from tests.factories import make_shop

    engine = make_engine(live.extra["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        shop = make_shop(session)
        order, _ = _big_order(session, shop)
        _, other = _linked_pair(session, shop)
        session.commit()
    engine.dispose()
    log_in(page, live, "viewer")
    page.goto(f"{live.base}/analytics/policy-replay?shop_id={shop.id}")

    page.fill("#f-rule-source", "block if order.total > 500")
    page.click("button:has-text('Show which orders would change')")
    row = page.locator("table#moves tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("Ola Big")
    expect(row.locator("td").nth(2)).to_have_text("Block")
    screenshot(page, "71-policy-replay-rule")

    page.uncheck("input[name=link][value=phone]")
    page.click("button:has-text('Show who would be linked')")
    expect(page.locator("#cluster-counts")).to_contain_text("1 today, 0 with these identifiers")
    row = page.locator("table#moves tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text("Nils New")
    expect(row.locator("td").nth(2)).to_have_text("Not linked to a blocked customer")
    screenshot(page, "72-policy-replay-links")
