"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storeguard.core.db import Base, make_engine
from storeguard.core.migrations import upgrade_to_head
from tests.conftest import REQUIRE_PG, _make_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    try:
        url, drop = _make_pg_database()
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield url
    drop()


def test_migrations_match_models(empty_database_url):
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()
    assert diff == []


def test_migrations_create_every_table(empty_database_url):
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
