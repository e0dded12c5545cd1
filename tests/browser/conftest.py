"""A real browser (Debian's Chromium, driven by Playwright) against the app served by its own process.

Without Chromium at /usr/bin/chromium the browser tests skip with a message, unless
STOREGUARD_REQUIRE_BROWSER=1 (CI sets it) makes that a failure. Playwright's own browser download
is never used. Screenshots go to STOREGUARD_TEST_OUTPUT (default var/test-output)/screenshots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.config import get_settings
from storeguard.core.db import make_engine
from storeguard.core.enums import Role
from storeguard.core.migrations import upgrade_to_head
from storeguard.customers.identifiers import record_order_identifiers
from storeguard.demo.cases import open_cases
from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.demo.quickstart import screen_recent_orders
from storeguard.demo.work import open_disputes, open_returns
from storeguard.lists.blocking import appeal_url, block_customer
from storeguard.orders.actions import fulfill_order
from tests.factories import make_customer, make_product, make_staff_user, place_order
from tests.reliability.server import start_serve, stop

CHROMIUM = Path(os.environ.get("STOREGUARD_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("STOREGUARD_REQUIRE_BROWSER") == "1"
OUTPUT = Path(
    os.environ.get("STOREGUARD_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "var" / "test-output")
)
SCREENSHOTS = OUTPUT / "screenshots"
PASSWORD = "a long browser password"
SEEDER = Actor("cli", "browser-test", Role.owner)


@dataclass
class LiveStore:
    """The served app's address, who may log in, and the orders each test works on."""

    base: str
    users: dict[str, str]  # role -> email (every password is PASSWORD)
    orders: dict[str, tuple[int, str]]  # what the order is for -> (id, number)
    extra: dict[str, Any] = field(default_factory=dict)


def _seed(url: str) -> tuple[dict[str, str], dict[str, tuple[int, str]]]:
    """A small demo store (screened, with held orders) and the orders and staff the tests use."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        loaded = load_demo(session, DemoConfig(customers=80, orders=240, seed=7), actor=SEEDER)
        screen_recent_orders(session, loaded.shop)
        shop = loaded.shop
        scarf = make_product(session, shop, sku="BT-SCARF", title="Wool scarf", price=49900, stock=50)
        mittens = make_product(
            session, shop, sku="BT-MITTENS", title="Knitted mittens", price=29900, stock=50
        )
        kari = make_customer(
            session, shop, first_name="Kari", last_name="Fjellheim", email="kari.fjellheim@example.no"
        )
        orders = {}
        for purpose in ("cancel", "refund", "viewer", "hebrew"):
            order = place_order(
                session, shop, [(scarf, 2), (mittens, 1)], shipping=9900, fee=3490, customer=kari
            )
            orders[purpose] = (order.id, order.number)
            if purpose in ("viewer", "hebrew"):  # what the buyer wrote, shown under the line
                order.line_items[0].properties = [
                    {"name": "Monogram", "value": "K.F."},
                    {"name": "Gift message", "value": "God jul, mamma!\nKlem fra Kari"},
                    {"name": "_bundle_id", "value": "b-2041"},
                ]
        shipping = place_order(session, shop, [(scarf, 1)], customer=kari)
        fulfill_order(
            session, order_id=shipping.id, actor=SEEDER, carrier="Posten", tracking_number="70701234"
        )
        orders["shipping"] = (shipping.id, shipping.number)
        open_returns(session, shop)  # the queue has work at every step (before the test's own order)
        open_disputes(session, shop)
        open_cases(session, shop)  # the Norwegian abusive thread among them
        returning = place_order(session, shop, [(scarf, 1), (mittens, 2)], customer=kari)
        fulfill_order(
            session, order_id=returning.id, actor=SEEDER, carrier="Posten", tracking_number="70705555"
        )
        orders["return"] = (returning.id, returning.number)
        # A blocked customer and the second account that shares her device.
        first = make_customer(
            session, shop, first_name="Sigrid", last_name="Holm", email="sigrid@example.no", locale="nb"
        )
        second = make_customer(
            session, shop, first_name="Siri", last_name="Holm", email="siri.h@example.no", locale="nb"
        )
        sigrid_order = place_order(session, shop, [(scarf, 1)], customer=first, device_id="dev-holm-1")
        siri_order = place_order(session, shop, [(scarf, 1)], customer=second, device_id="dev-holm-1")
        record_order_identifiers(session, sigrid_order)
        record_order_identifiers(session, siri_order)
        block_customer(
            session,
            customer_id=first.id,
            actor=SEEDER,
            reason_code="fraud",
            evidence={"order_ids": [sigrid_order.id]},
        )
        orders["blocked"] = (first.id, sigrid_order.number)
        # A Hebrew-speaking customer blocked by the agent: she appeals, and another person decides.
        dana = make_customer(
            session, shop, first_name="דנה", last_name="לוי", email="dana.levi@example.co.il", locale="he-IL"
        )
        dana_block = block_customer(
            session,
            customer_id=dana.id,
            actor=Actor("staff", "agent@nordlys.example", Role.agent),
            reason_code="return_abuse",
            evidence={"notes": ["three returns of worn shoes"]},
        )
        orders["appeal"] = (dana.id, appeal_url(dana_block).rsplit("/", 1)[1])
        orders["second_account"] = (second.id, siri_order.number)
        orders["second_account_order"] = (siri_order.id, siri_order.number)
        for n in range(3):  # the review queue's work, held an hour apart
            waiting = place_order(session, shop, [(mittens, 1)], customer=kari)
            waiting.held, waiting.held_at = True, waiting.created_at - timedelta(days=2, hours=3 - n)
            orders[f"held{n}"] = (waiting.id, waiting.number)
        users = {}
        for role in (Role.owner, Role.agent, Role.viewer):
            user = make_staff_user(
                session,
                role,
                email=f"{role.value}@nordlys.example",
                name=f"{role.value.title()} Nordmann",
                password=PASSWORD,
            )
            users[role.value] = user.email
        session.commit()
    engine.dispose()
    return users, orders


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium from Debian's packages, headless; Playwright's own browsers are never downloaded."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium); the browser tests are skipped"
        if REQUIRE_BROWSER:
            pytest.fail(f"STOREGUARD_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root without it
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStore]:
    """The app served by ``storeguard serve`` on a scratch SQLite database seeded for these tests."""
    data_dir = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{data_dir / 'browser.db'}"
    upgrade_to_head(url)
    saved = get_settings().secret_key
    get_settings().secret_key = "browser-test-key"
    try:
        users, orders = _seed(url)
    finally:
        get_settings().secret_key = saved
    env = {
        "STOREGUARD_SECRET_KEY": "browser-test-key",
        "STOREGUARD_BACKGROUND_WORK": "false",
        "STOREGUARD_ERASURE_KEY": "browser-erasure-key",
    }
    process, base = start_serve(url, data_dir, env=env)
    try:
        yield LiveStore(base=base, users=users, orders=orders, extra={"database_url": url})
    finally:
        stop(process)


@pytest.fixture
def page(browser: Any, live: LiveStore) -> Iterator[Any]:
    """A fresh browser tab (its own cookies); console errors, CSP refusals among them, fail the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(f"{m.text[:90]} {m.location}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    context.close()
    assert problems == [], f"the browser reported: {problems}"


def log_in(page: Any, live: LiveStore, role: str) -> None:
    """Log in through the login form as the user of ``role``."""
    page.goto(f"{live.base}/login")
    page.fill("#f-email", live.users[role])
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.base}/")


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the whole page under the test output folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
