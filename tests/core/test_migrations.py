"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import bindparam, inspect, select, text

from storeguard.core.db import Base, Json, make_engine
from storeguard.core.migrations import alembic_config, upgrade_to_head
from storeguard.shops.models import Shop


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


def test_a_shop_connected_before_0006_is_marked_as_mailing_its_own_customers(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0005")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO shops (id, name, domain, platform, currency, country, created_at, settings)"
                    " VALUES (1, 'Kari Sko', 'kari-sko.myshopify.com', 'shopify', 'NOK', 'NO', :at, :s),"
                    " (2, 'Ola Bok', 'ola-bok.example', 'other', 'NOK', 'NO', :at, :s)"
                ).bindparams(bindparam("s", type_=Json)),
                {"at": datetime(2026, 1, 1, tzinfo=UTC), "s": {"shopify_api_base_url": "https://x.test"}},
            )
            conn.execute(
                text(
                    "INSERT INTO integration_secrets (scope, owner, name, current, updated_at)"
                    " VALUES ('shop', 'kari-sko.myshopify.com', 'access_token', 'x', :at),"
                    " ('shop', 'ola-bok.example', 'access_token', 'x', :at)"
                ),
                {"at": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        command.upgrade(config, "0006")
        with engine.connect() as conn:
            rows = conn.execute(
                select(Shop.__table__.c.id, Shop.__table__.c.settings).order_by(Shop.__table__.c.id)
            ).all()
    finally:
        engine.dispose()
    assert [(shop_id, settings) for shop_id, settings in rows] == [
        (1, {"shopify_api_base_url": "https://x.test", "platform_mails_customers": True}),
        (2, {"shopify_api_base_url": "https://x.test"}),
    ]
