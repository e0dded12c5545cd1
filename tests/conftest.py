"""Test fixtures: every storage test runs on SQLite and on PostgreSQL.

Each test gets one connection with an outer transaction that is rolled back at the end; the
session joins it with ``create_savepoint``, so code under test may commit freely.
PostgreSQL tests run in a database made for this test run and dropped after it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.apikeys import create_api_key
from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine
from storeguard.core.enums import Role
from storeguard.core.prepared import Driver
from storeguard.models import import_all_models
from storeguard.staff import passwords
from storeguard.staff.actions import log_in
from storeguard.staff.models import StaffUser
from storeguard.web.cookies import SESSION_COOKIE
from tests.factories import STAFF_PASSWORD, make_staff_user

import_all_models()

PG_URL = os.environ.get("STOREGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("STOREGUARD_REQUIRE_POSTGRES") == "1"
# The platforms' reference data lives in ../shared beside the checkout (nearest one up the tree).
SHARED = next(
    (p / "shared" for p in Path(__file__).resolve().parents[1:] if (p / "shared" / "fixtures").is_dir()),
    Path(__file__).resolve().parents[2] / "shared",
)
FIXTURES = Path(os.environ.get("STOREGUARD_SHARED_FIXTURES", SHARED / "fixtures"))
TEST_ACTOR = Actor("api_key", "test-agent", Role.owner)


def _make_pg_database() -> tuple[str, Callable[[], None]]:
    """Create a scratch database for this run and return its URL and a dropper."""
    base = make_url(PG_URL)
    name = f"sg_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        eng = create_engine(base, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Hash staff passwords with Argon2's cheapest parameters: the real ones cost 0.1 s a hash.

    Servers started as their own process (browser tests) hash at the real cost.
    """
    from argon2 import PasswordHasher, profiles

    real, passwords.hasher = passwords.hasher, PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    passwords.hasher = real


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database that lives for this test run."""
    try:
        url, drop = _make_pg_database()
    except Exception as exc:  # no server here
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (STOREGUARD_REQUIRE_POSTGRES=1) but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of its own on each backend (for migrations and server processes)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    try:
        url, drop = _make_pg_database()
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield url
    drop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'storeguard.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def engine(backend: str, request: pytest.FixtureRequest, _engines: dict[str, Engine]) -> Engine:
    """An engine on a fresh schema for the backend under test."""
    if backend not in _engines:
        url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
        eng = make_engine(url)
        Base.metadata.create_all(eng)
        _engines[backend] = eng
    return _engines[backend]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def committing_engine(engine: Engine) -> Iterator[Engine]:
    """The engine itself, for tests that need real commits across connections (row-lock races).

    Every table is emptied afterwards so other tests see a clean database.
    """
    yield engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "audit_events" and engine.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE audit_events"))  # its trigger refuses DELETE, by design
            else:
                conn.execute(table.delete())


@pytest.fixture
def cli_db(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the CLI at the backend under test; tables are emptied afterwards."""
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield committing_engine
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _shared_app():  # noqa: ANN202
    """One app for the whole run: building routes and OpenAPI per test would dominate the suite."""
    from storeguard.app import create_app

    return create_app(get_settings(), session_factory=lambda: None)


class _SessionReader:
    """Hot read-only routes read through the test's own session (its rows are not committed)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.on_loop = session.get_bind().dialect.name == "sqlite"

    @contextmanager
    def open(self) -> Iterator[Driver]:
        yield Driver(self.session)


@pytest.fixture
def app(_shared_app, session: Session):  # noqa: ANN001, ANN201
    """The HTTP app bound to the test's session."""
    from storeguard.core.api import get_session

    def _same_session() -> Iterator[Session]:
        yield session

    saved_state = dict(_shared_app.state._state)  # tests may set flags on app.state; undo them after
    _shared_app.state.session_factory = lambda: session
    _shared_app.state.reader = _SessionReader(session)
    _shared_app.dependency_overrides[get_session] = _same_session
    yield _shared_app
    _shared_app.dependency_overrides.clear()
    _shared_app.state._state.clear()
    _shared_app.state._state.update(saved_state)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def auth(session: Session) -> Callable[[Role | str], dict[str, str]]:
    """Return a function that makes a key with a role and the headers that send it."""

    def make(role: Role | str = Role.owner) -> dict[str, str]:
        _, raw = create_api_key(session, name=f"test-{role}", role=role, actor=TEST_ACTOR)
        return {"Authorization": f"Bearer {raw}"}

    return make


@dataclass
class PageLogin:
    """A staff user logged in on the test client: post forms with ``csrf``."""

    user: StaffUser
    csrf: str
    token: str


@pytest.fixture
def login(session: Session, client: TestClient) -> Callable[..., PageLogin]:
    """Return a function that logs a new staff user of a role in on the test client."""

    def make(role: Role | str = Role.agent, **kw: object) -> PageLogin:
        user = make_staff_user(session, role, **kw)
        outcome = log_in(session, email=user.email, password=STAFF_PASSWORD, lifetime=timedelta(hours=1))
        assert outcome.token is not None and outcome.staff_session is not None
        client.cookies.set(SESSION_COOKIE, outcome.token, domain="testserver.local")  # as a response sets it
        return PageLogin(user=user, csrf=outcome.staff_session.csrf_token, token=outcome.token)

    return make


@pytest.fixture
def owner_headers(auth) -> dict[str, str]:  # noqa: ANN001
    return auth(Role.owner)


def shared_fixture(*parts: str) -> Path:
    """Path to a file under ../shared/fixtures, skipping the test with a message when absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} not present (reference data lives in ../shared/fixtures)")
    return path
