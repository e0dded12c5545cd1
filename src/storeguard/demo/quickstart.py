"""What ``storeguard quickstart`` does before it serves: schema, demo data, a key to try the API with."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from storeguard.core.actor import SYSTEM
from storeguard.core.apikeys import authenticate, create_api_key
from storeguard.core.config import Settings
from storeguard.core.db import make_engine, make_session_factory
from storeguard.core.enums import Role
from storeguard.core.errors import Unauthorized
from storeguard.core.migrations import upgrade_to_head
from storeguard.demo.generator import DEFAULT_SEED, DemoConfig
from storeguard.demo.loader import LoadResult, Progress, load_demo, write_ground_truth
from storeguard.shops.models import Shop

# Small enough that a first start takes a few seconds, big enough to show every kind of customer.
QUICKSTART_CUSTOMERS = 1_500
QUICKSTART_ORDERS = 4_000
KEY_FILE = "demo_api_key"
GROUND_TRUTH_FILE = "demo_ground_truth.json"
DEMO_KEY_NAME = "demo owner"


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


def save_key(key_file: Path, raw: str) -> None:
    """Write the raw key readable by its owner only (0600)."""
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
    truth_file = None
    try:
        with make_session_factory(engine)() as session:
            loaded = None
            if not session.scalar(select(func.count()).select_from(Shop)):
                loaded = load_demo(
                    session, DemoConfig(customers=customers, orders=orders, seed=seed), progress=progress
                )
            raw, created = ensure_demo_key(session, key_file)
            session.commit()
    finally:
        engine.dispose()
    if created:
        save_key(key_file, raw)
    if loaded is not None:
        truth_file = Path(settings.data_dir) / GROUND_TRUTH_FILE
        write_ground_truth(truth_file, loaded.ground_truth)
    return StartInfo(loaded, raw, created, key_file, truth_file)


def display_host(host: str) -> str:
    """Return a host a browser can open: a wildcard bind address becomes localhost."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def banner(host: str, port: int, api_key: str) -> list[str]:
    """Return the lines that tell a newcomer where to point a browser and how to call the API."""
    base = f"http://{display_host(host)}:{port}"
    return [
        f"storeguard is running at  {base}",
        f"API docs                  {base}/docs",
        f"demo owner API key        {api_key}",
        "try it:",
        f'  curl -H "Authorization: Bearer {api_key}" "{base}/v1/products?limit=5"',
    ]
