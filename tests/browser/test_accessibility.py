"""The main pages pass axe-core's accessibility check in the browser: no serious or critical violation.

axe-core comes from the npm registry at set-up (package.json, pinned by package-lock.json), never
from a CDN; it is evaluated in the page by the test, so the pages' own CSP stays as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveStore, log_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}

# Each main page, as a path; "{order}" is an order the tests may look at.
PAGES = {
    "dashboard": "/",
    "orders": "/orders",
    "order": "/orders/{order}",
    "cancel dialog": "/orders/{order}/cancel",
    "refund dialog": "/orders/{order}/refund",
    "decisions": "/decisions",
    "review queue": "/reviews",
    "customers": "/customers",
    "customer": "/customers/{blocked}",
    "block dialog": "/customers/{second}/block",
    "audit log": "/audit",
    "rules": "/rules",
    "rule editor": "/rules/new",
    "named lists": "/rules/lists",
    "new named list": "/rules/lists/new",
    "integrations": "/integrations",
    "lists": "/lists",
    "a list entry": "/lists/entries/1",
    "settings": "/settings",
    "returns": "/returns",
    "a return": "/returns/1",
    "start a return": "/orders/{shipped}/return",
    "disputes": "/disputes",
    "a dispute": "/disputes/1",
    "cases": "/cases",
    "a case": "/cases/1",
    "conduct incidents": "/cases/incidents",
    "legal queue": "/cases/legal",
    "a case in Hebrew": "/cases/1?lang=he",
    "order in Hebrew": "/orders/{order}?lang=he",
    "appeals": "/appeals",
    "a mail template in Hebrew": "/settings/templates/block_notice/he",
    "the public appeal page in Hebrew": "/appeal/{appeal}",
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"no axe-core at {AXE} (make setup installs it from npm)"
        if os.environ.get("STOREGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Any, axe_source: str) -> list[str]:
    """Run axe-core in the page; return each serious or critical violation with where it is."""
    page.evaluate(axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def test_the_login_page_has_no_serious_accessibility_violation(page, live: LiveStore, axe_source):
    page.goto(f"{live.base}/login")

    assert serious_violations(page, axe_source) == []


@pytest.mark.parametrize("name", list(PAGES))
def test_a_main_page_has_no_serious_accessibility_violation(page, live: LiveStore, axe_source, name):
    log_in(page, live, "owner")
    ids = {
        "order": live.orders["viewer"][0],
        "blocked": live.orders["blocked"][0],
        "second": live.orders["second_account"][0],
        "shipped": live.orders["return"][0],
        "appeal": live.orders["appeal"][1],
    }
    page.goto(live.base + PAGES[name].format(**ids))

    assert serious_violations(page, axe_source) == []


def test_the_check_finds_what_a_page_made_to_fail_gets_wrong(page, live: LiveStore, axe_source):
    page.set_content('<html lang="en"><title>t</title><body><main><img src="data:,"><button></button></main>')

    found = serious_violations(page, axe_source)

    assert [v.split(" ")[0] for v in found] == ["button-name", "image-alt"]
