"""PostgreSQL connections in the pool: pinged only after an idle spell, checkout statements prepared at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from storeguard.core import db as core_db
from storeguard.core.db import PING_AFTER_IDLE_SECONDS, make_engine, read_only_engine


@pytest.fixture
def pg_engine(engine: Engine) -> Iterator[Engine]:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to lose and no server-side statements")
    own = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    yield own
    own.dispose()


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    pinged: list[Any] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        pinged.append(dbapi_conn)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pinged


def _age_pool(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make every pooled connection look returned ``seconds`` ago."""
    real = core_db.time.monotonic
    monkeypatch.setattr(core_db.time, "monotonic", lambda: real() + seconds)


def test_a_connection_returned_a_moment_ago_is_handed_out_without_a_ping(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinged = _pings(pg_engine, monkeypatch)
    for _ in range(3):
        with pg_engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1

    assert pinged == []


def test_a_connection_idle_past_the_limit_is_pinged_before_it_is_handed_out(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    pinged = _pings(pg_engine, monkeypatch)
    _age_pool(monkeypatch, PING_AFTER_IDLE_SECONDS + 1)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 2")).scalar() == 2

    assert len(pinged) == 1


def test_an_idle_connection_the_server_closed_is_replaced_unseen(
    pg_engine: Engine, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_engine.connect() as conn:
        lost = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as admin:  # as a server restart or a failover would
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        admin.commit()
    _age_pool(monkeypatch, PING_AFTER_IDLE_SECONDS + 1)
    with pg_engine.connect() as conn:
        now_on = conn.execute(text("SELECT pg_backend_pid()")).scalar()

    assert now_on != lost


def test_a_checkout_read_statement_is_prepared_on_the_server_at_its_first_run(pg_engine: Engine) -> None:
    reads = read_only_engine(pg_engine)
    try:
        with reads.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute("SELECT count(*) FROM shops WHERE id = %s", [1])
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
    finally:
        reads.dispose()

    assert "SELECT count(*) FROM shops WHERE id = $1" in prepared
