"""What ``storeguard quickstart`` does before it serves: schema, demo data, a key and a login to try it with."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM
from storeguard.core.apikeys import authenticate, create_api_key
from storeguard.core.clock import now as clock_now
from storeguard.core.config import Settings
from storeguard.core.db import make_engine, make_session_factory
from storeguard.core.enums import Role
from storeguard.core.errors import Unauthorized
from storeguard.core.migrations import upgrade_to_head
from storeguard.customers.models import Customer
from storeguard.demo.cases import open_cases
from storeguard.demo.generator import DEFAULT_SEED, DemoConfig
from storeguard.demo.loader import LoadResult, Progress, load_demo, write_ground_truth
from storeguard.demo.work import open_disputes, open_returns, record_failed_deliveries, settle_and_lift
from storeguard.orders.models import Order
from storeguard.screening.actions import screen_existing_order
from storeguard.shops.models import Shop
from storeguard.staff.actions import create_staff_user
from storeguard.staff.passwords import generate_password, verify_password
from storeguard.staff.service import find_by_email

# Small enough that a first start takes a few seconds, big enough to show every kind of customer.
QUICKSTART_CUSTOMERS = 1_500
QUICKSTART_ORDERS = 4_000
SCREENED_DAYS = 7  # about 170 of the demo's orders, two seconds of screening on a first start
KEY_FILE = "demo_api_key"
GROUND_TRUTH_FILE = "demo_ground_truth.json"
DEMO_KEY_NAME = "demo owner"
OWNER_PASSWORD_FILE = "demo_owner_password"
DEMO_OWNER_EMAIL = "owner@nordlys-outfitters.example"
DEMO_OWNER_NAME = "Demo Owner"


class StaleSchema(RuntimeError):
    """The database was made before migrations existed and cannot be upgraded in place."""


def prepare_database(url: str) -> None:
    """Bring the schema up to date with the migrations; refuse a database they did not make."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    if tables and "alembic_version" not in tables:
        raise StaleSchema(
            f"the database at {url} was not made by storeguard's migrations; "
            "remove it (demo data is recreated on start) or stamp it with Alembic"
        )
    upgrade_to_head(url)


def ensure_demo_key(session: Session, key_file: Path) -> tuple[str, bool]:
    """Return the saved demo owner key if it still works, else a new one; and whether it is new."""
    if key_file.exists():
        raw = key_file.read_text(encoding="utf-8").strip()
        try:
            authenticate(session, raw)
            return raw, False
        except Unauthorized:
            pass  # the database was reset since; make a new key
    _, raw = create_api_key(session, name=DEMO_KEY_NAME, role=Role.owner, actor=SYSTEM)
    return raw, True


def screen_recent_orders(session: Session, shop: Shop, *, days: int = SCREENED_DAYS) -> int:
    """Screen the shop's last ``days`` of orders as checkout would have, so the pages have work on them.

    Bulk-loaded orders were never screened: without this the dashboard, the decisions and the
    held orders would all be empty. Each decision (and hold) is dated when its order came in, as
    checkout would have made it; a block cancels the order or holds it, as the shop's policy says.
    """
    since = clock_now() - timedelta(days=days)
    orders = list(
        session.execute(
            select(Order.id, Order.created_at)
            .where(Order.shop_id == shop.id, Order.created_at >= since)
            .order_by(Order.created_at, Order.id)
        )
    )
    for order_id, placed in orders:
        decision = screen_existing_order(session, order_id=order_id, actor=SYSTEM)
        decision.created_at = placed
        order = session.get(Order, order_id)
        if order is not None and order.held:
            order.held_at = placed
    session.flush()
    return len(orders)


def ensure_demo_owner(session: Session, password_file: Path) -> tuple[str | None, bool]:
    """Return the demo owner's saved password if it still logs in, else make the owner; and whether new.

    None when the demo owner exists but the saved password no longer works (it was changed or
    reset since): then nothing is printed, and ``storeguard users reset-password`` gives a new one.
    """
    user = find_by_email(session, DEMO_OWNER_EMAIL)
    if user is None:
        password = generate_password()
        create_staff_user(
            session,
            email=DEMO_OWNER_EMAIL,
            name=DEMO_OWNER_NAME,
            role=Role.owner,
            password=password,
            actor=SYSTEM,
        )
        return password, True
    try:
        saved = password_file.read_text(encoding="utf-8").strip()
    except OSError:
        return None, False
    return (saved if verify_password(user.password_hash, saved) else None), False


def save_key(key_file: Path, raw: str) -> None:
    """Write a secret (a key, a password) readable by its owner only (0600)."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(raw + "\n")
    os.chmod(key_file, 0o600)  # also when the file existed with looser rights


@dataclass
class StartInfo:
    loaded: LoadResult | None
    api_key: str
    key_created: bool
    key_file: Path
    ground_truth_file: Path | None
    screen_example: dict[str, Any] | None = None
    owner_email: str = DEMO_OWNER_EMAIL
    owner_password: str | None = None  # None when it was changed since it was saved
    owner_created: bool = False


def start(
    settings: Settings,
    *,
    customers: int = QUICKSTART_CUSTOMERS,
    orders: int = QUICKSTART_ORDERS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> StartInfo:
    """Prepare the schema, load the demo store into an empty database, and make sure a demo key exists."""
    prepare_database(settings.database_url)
    engine = make_engine(settings.database_url)
    key_file = Path(settings.data_dir) / KEY_FILE
    password_file = Path(settings.data_dir) / OWNER_PASSWORD_FILE
    truth_path = Path(settings.data_dir) / GROUND_TRUTH_FILE
    truth_file = None
    try:
        with make_session_factory(engine)() as session:
            loaded = None
            # The owner first: the scripted disputes queue their deadline reminders to the team.
            password, owner_created = ensure_demo_owner(session, password_file)
            if not session.scalar(select(func.count()).select_from(Shop)):
                loaded = load_demo(
                    session, DemoConfig(customers=customers, orders=orders, seed=seed), progress=progress
                )
                screen_recent_orders(session, loaded.shop)
                settle_and_lift(session, loaded.shop, keep_blocked=_example_customers(loaded.ground_truth))
                open_returns(session, loaded.shop)
                open_disputes(session, loaded.shop)
                open_cases(session, loaded.shop)
            raw, created = ensure_demo_key(session, key_file)
            session.commit()
            if loaded is not None:
                record_failed_deliveries(session, loaded.shop)
            example = screen_example(session, loaded.ground_truth if loaded else _read_truth(truth_path))
    finally:
        engine.dispose()
    if created:
        save_key(key_file, raw)
    if owner_created and password is not None:
        save_key(password_file, password)
    if loaded is not None:
        truth_file = truth_path
        write_ground_truth(truth_file, loaded.ground_truth)
    return StartInfo(
        loaded,
        raw,
        created,
        key_file,
        truth_file,
        example,
        owner_password=password,
        owner_created=owner_created,
    )


def _example_customers(truth: dict[str, Any]) -> set[int]:
    """The blocked customers the printed examples rest on: their blocks stay."""
    example = (truth.get("examples") or {}).get("linked_block") or {}
    return {example["blocked_customer_id"]} if example.get("blocked_customer_id") else set()


def _read_truth(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def screen_example(session: Session, truth: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the ground truth's checkout of a blocked customer's second account, if it fits this database.

    A truth file written for another database (or before it held examples) gives none.
    """
    example = ((truth or {}).get("examples") or {}).get("linked_block")
    if not example:
        return None
    checkout = example["checkout"]
    found = session.scalar(
        select(Customer.id).where(
            Customer.id == checkout["customer_id"],
            Customer.shop_id == checkout["shop_id"],
            Customer.email == checkout["email"],
        )
    )
    return example if found is not None else None


def display_host(host: str) -> str:
    """Return a host a browser can open: a wildcard bind address becomes localhost."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def public_url(host: str, port: int) -> str:
    """Return the address customers' links (the appeal page) start with when none is configured."""
    return f"http://{display_host(host)}:{port}"


def mail_lines(smtp_host: str | None) -> list[str]:
    """Return how mail to customers goes out, or how to see it on this machine when no server is set."""
    if smtp_host:
        return [f"mail to customers         sent through {smtp_host} (STOREGUARD_SMTP_*)"]
    return [
        "mail to customers         waits in the outbox until STOREGUARD_SMTP_HOST is set; to read it here:",
        "  .venv/bin/python -m aiosmtpd -n -l 127.0.0.1:1025     # prints every mail it gets",
        "  STOREGUARD_SMTP_HOST=127.0.0.1 STOREGUARD_SMTP_PORT=1025 STOREGUARD_SMTP_SECURITY=none make run",
    ]


def banner(
    host: str,
    port: int,
    api_key: str,
    screen_example: dict[str, Any] | None = None,
    *,
    owner_email: str = DEMO_OWNER_EMAIL,
    owner_password: str | None = None,
    smtp_host: str | None = None,
) -> list[str]:
    """Return the lines that tell a newcomer where to point a browser and how to call the API."""
    base = f"http://{display_host(host)}:{port}"
    password = owner_password or f"(not known here: storeguard users reset-password {owner_email})"
    lines = [
        f"storeguard is running at  {base}",
        f"admin pages               {base}/login",
        f"  log in as               {owner_email}",
        f"  password                {password}",
        f"API docs                  {base}/docs",
        f"demo owner API key        {api_key}",
        "try it:",
        f'  curl -H "Authorization: Bearer {api_key}" "{base}/v1/products?limit=5"',
    ]
    if screen_example:
        body = json.dumps(screen_example["checkout"], ensure_ascii=False, separators=(",", ":"))
        lines += [
            f"  # a checkout by customer #{screen_example['customer_id']}, a second account of blocked "
            f"customer #{screen_example['blocked_customer_id']}: the answer shows the link",
            f'  curl -H "Authorization: Bearer {api_key}" -H "Content-Type: application/json" '
            f'-d {shlex.quote(body)} "{base}/v1/screen"',
        ]
    return lines + mail_lines(smtp_host)  # after both calls, so the second reads as part of "try it"
