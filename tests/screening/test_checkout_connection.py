"""POST /v1/screen on an app built on a real engine: a pooled connection, no session, nothing written."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storeguard.app import create_app
from storeguard.core.api import Reader
from storeguard.core.apikeys import create_api_key
from storeguard.core.config import get_settings
from storeguard.core.db import make_session_factory
from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.core.prepared import Driver, reading
from storeguard.orders.models import Order
from storeguard.screening.engine import screen, screen_at_checkout
from storeguard.screening.enums import Outcome
from storeguard.screening.inputs import from_screen_in
from storeguard.screening.models import Decision
from storeguard.screening.schemas import ScreenOrderIn
from storeguard.shops.models import Shop
from tests.conftest import TEST_ACTOR
from tests.screening.support import block_customer, make_store, new_customer, past_order


def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0 for t in (Order, Decision, AuditEvent)
        )


def test_checkout_screening_on_an_engine_reads_committed_data_and_writes_nothing(
    committing_engine: Engine,
) -> None:
    with Session(committing_engine, expire_on_commit=False) as setup:
        store = make_store(setup)
        first = new_customer(setup, store, email="ola@example.no")
        evidence = past_order(setup, store, first, device_id="dev-77")
        entry_id = block_customer(setup, store, first, evidence)
        second = new_customer(setup, store, email="ola.nordmann@example.no")
        _, key = create_api_key(setup, name="checkout", role=Role.viewer, actor=TEST_ACTOR)
        setup.commit()
        shop_id, second_id = store.shop.id, second.id
    before = _counts(committing_engine)
    app = create_app(get_settings(), engine=committing_engine)

    with TestClient(app) as client:
        answer = client.post(
            "/v1/screen",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "shop_id": shop_id,
                "customer_id": second_id,
                "device_id": "dev-77",
                "lines": [{"sku": "SHIRT", "quantity": 1}],
            },
        )

    assert answer.status_code == 200, answer.text
    top = answer.json()["reasons"][0]
    # The linking path needs the ORM: a session is made on the reading connection for it.
    assert (top["code"], top["ref"]["id"], top["path"][0]["shared"][0]["type"]) == (
        "linked_block",
        entry_id,
        "device_id",
    )
    assert _counts(committing_engine) == before
    assert committing_engine.pool.checkedout() == 0  # the app gave its kept connection back at shutdown


def test_checkout_screening_refuses_an_unknown_key_on_an_engine(committing_engine: Engine) -> None:
    app = create_app(get_settings(), engine=committing_engine)
    with TestClient(app) as client:
        answer = client.post(
            "/v1/screen",
            headers={"Authorization": "Bearer nope"},
            json={"shop_id": 1, "lines": [{"sku": "X", "quantity": 1}]},
        )
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_api_key")
    assert committing_engine.pool.checkedout() == 0


def test_a_reading_connection_makes_a_session_only_when_asked_and_rolls_back(
    committing_engine: Engine,
) -> None:
    with reading(committing_engine) as db:
        assert db._session is None
        assert db.run("SELECT 1", []) == [(1,)]
        session = db.session
        assert db.session is session
        session.add(AuditEvent(actor="cli:t", action="test.never_kept", subject_type="x", subject_id="1"))
        session.flush()
    assert _counts(committing_engine)[2] == 0


def test_a_driver_needs_a_session_or_a_connection() -> None:
    with pytest.raises(TypeError):
        Driver()


def test_the_reader_sees_writes_committed_between_two_checkouts(committing_engine: Engine) -> None:
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    count = "SELECT count(*) FROM audit_events"
    with reader.open() as db:
        before = db.run(count, [])[0][0]
    with Session(committing_engine) as other:
        other.add(AuditEvent(actor="cli:t", action="test.between", subject_type="x", subject_id="1"))
        other.commit()
    with reader.open() as db:
        assert db.run(count, [])[0][0] == before + 1
    reader.close()


def test_on_sqlite_the_loop_thread_keeps_one_connection_and_elsewhere_it_goes_back(
    committing_engine: Engine,
) -> None:
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    with reader.open() as first:
        used = first.dbapi
    with reader.open() as second:
        again = second.dbapi
    if reader.on_loop:  # SQLite: one connection kept, reused, no transaction left open
        assert again is used and committing_engine.pool.checkedout() == 1
        assert not used.in_transaction
    else:  # PostgreSQL: checked out per request from the pool, returned after
        assert committing_engine.pool.checkedout() == 0
    reader.close()
    assert committing_engine.pool.checkedout() == 0


def test_only_the_first_thread_to_read_keeps_a_connection(committing_engine: Engine) -> None:
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    with reader.open():
        pass
    kept = committing_engine.pool.checkedout()
    seen: list[int] = []

    def elsewhere() -> None:
        with reader.open() as db:
            seen.append(db.run("SELECT 1", [])[0][0])

    workers = [threading.Thread(target=elsewhere) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == [1, 1, 1] and committing_engine.pool.checkedout() == kept
    reader.close()


def test_a_read_opened_inside_another_on_the_same_thread_gets_its_own_connection(
    committing_engine: Engine,
) -> None:
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    with reader.open() as outer, reader.open() as inner:
        assert inner.run("SELECT 1", []) == [(1,)] and outer.run("SELECT 2", []) == [(2,)]
        assert inner.dbapi is not outer.dbapi
    with reader.open() as again:
        assert again.run("SELECT 3", []) == [(3,)]
    reader.close()


def test_on_postgresql_a_checkout_read_is_refused_any_write(committing_engine: Engine) -> None:
    if committing_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's read is a deferred transaction rolled back after (see above)")
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    write = (
        "INSERT INTO audit_events (actor, action, subject_type, subject_id) VALUES ('cli:t', 'x', 'x', '1')"
    )
    with pytest.raises(Exception, match="read-only transaction"), reader.open() as db:
        db.run(write, [])
    reader.close()

    assert _counts(committing_engine)[2] == 0


def test_on_postgresql_checkout_statements_stay_prepared_from_one_read_to_the_next(
    committing_engine: Engine,
) -> None:
    if committing_engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its own statement cache per connection")
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    lookup = "SELECT count(*) FROM audit_events WHERE subject_id = %s"
    for n in range(8):
        with reader.open() as db:
            db.run(lookup, [str(n)])
    with reader.open() as db:
        prepared = db.run("SELECT statement FROM pg_prepared_statements", [])
    reader.close()

    # Prepared once, whatever else the connection prepared when it opened (the dialect's own queries).
    statements = [row[0] for row in prepared]
    assert statements.count("SELECT count(*) FROM audit_events WHERE subject_id = $1") == 1


def _checkout_body(shop_id: int, customer_id: int) -> ScreenOrderIn:
    return ScreenOrderIn.model_validate(
        {
            "shop_id": shop_id,
            "customer_id": customer_id,
            "email": "kari@example.no",
            "phone": "91234567",
            "device_id": "dev-9",
            "browser_ip": "10.0.0.9",
            "lines": [{"sku": "SHIRT", "quantity": 1}],
        }
    )


def _known_customer(engine: Engine) -> tuple[int, int]:
    with Session(engine, expire_on_commit=False) as setup:
        store = make_store(setup)
        customer = new_customer(setup, store, email="kari@example.no")
        past_order(setup, store, customer, device_id="dev-9")
        setup.commit()
        return store.shop.id, customer.id


def _count_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every statement a driver sends from now on, alone or as reads ahead."""
    sent: list[str] = []
    run, execute = Driver.run, psycopg.RawCursor.execute

    def counted_run(db: Driver, sql: str, params: Any) -> Any:
        sent.append(sql)
        return run(db, sql, params)

    def counted_execute(cursor: Any, query: Any, *args: Any, **kw: Any) -> Any:
        sent.append(query)
        return execute(cursor, query, *args, **kw)

    monkeypatch.setattr(Driver, "run", counted_run)
    monkeypatch.setattr(psycopg.RawCursor, "execute", counted_execute)
    return sent


def test_on_postgresql_a_checkout_screening_reads_in_one_statement(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shop, customer and products with the history, velocity and every list lookup but the
    # rare linking path: each statement is a wait for the server and a share of its fixed cost.
    if committing_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips: it runs each read on its own")
    body = _checkout_body(*_known_customer(committing_engine))
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    with reader.open() as db:  # the process's first screening reads the shop, rules and ranges
        screen_at_checkout(db, body)
    sent = _count_statements(monkeypatch)
    with reader.open() as db:
        decision = screen_at_checkout(db, body).decision
    reader.close()

    assert (decision, len(sent)) == (Outcome.allow, 1)


def test_a_checkout_screening_after_the_shop_changed_answers_as_a_plain_screening(
    committing_engine: Engine,
) -> None:
    # The reads ahead were worked out from the shop as last read (Norway: the phone is +47...);
    # the shop is now Swedish, so screening reads what it needs itself.
    shop_id, customer_id = _known_customer(committing_engine)
    body = _checkout_body(shop_id, customer_id)
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    with reader.open() as db:
        screen_at_checkout(db, body)
    with Session(committing_engine) as s:
        s.get_one(Shop, shop_id).country = "SE"
        s.commit()
    with reader.open() as db:
        guessed = screen_at_checkout(db, body)
    with reader.open() as db:
        plain = screen(db, from_screen_in(db, body))
    reader.close()

    assert guessed.facts == plain.facts
    assert guessed.as_dict() | {"duration_us": 0} == plain.as_dict() | {"duration_us": 0}
    assert guessed.velocity_keys["phone"] == "+4691234567"
