"""The audit log is tamper-evident: each event's hash chains to the one before, per shop."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.core.actor import SYSTEM
from storeguard.core.audit import GENESIS, record_event, redact_events, verify_chains
from storeguard.core.models import AuditEvent
from tests.factories import make_shop


def _events(session: Session, n: int, shop_id: int | None = None) -> list[AuditEvent]:
    return [
        record_event(
            session,
            actor=SYSTEM,
            action="note.added",
            subject_type="note",
            subject_id=i,
            after={"text": f"note {i}", "amount": 100 * i},
            shop_id=shop_id,
        )
        for i in range(n)
    ]


def test_events_chain_each_to_the_one_before(session):
    events = _events(session, 3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [events[0].hash, events[1].hash]
    assert [r.events for r in verify_chains(session)] == [3]
    assert all(r.whole for r in verify_chains(session))


def test_each_shop_has_its_own_chain(session):
    one, two = make_shop(session), make_shop(session)
    _events(session, 2, one.id)
    _events(session, 3, two.id)
    reports = {r.chain: (r.events, r.whole) for r in verify_chains(session)}
    assert reports == {f"shop:{one.id}": (2, True), f"shop:{two.id}": (3, True)}


def test_an_event_about_a_shops_order_joins_that_shops_chain(session):
    from tests.factories import make_product, place_order

    shop = make_shop(session)
    order = place_order(session, shop, [(make_product(session, shop, price=1000, stock=2), 1)])
    event = record_event(
        session, actor=SYSTEM, action="order.noted", subject_type="order", subject_id=order.id
    )
    assert event.chain == f"shop:{shop.id}"


def _disable_trigger(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))


def test_a_changed_event_is_named_by_verify(session):
    events = _events(session, 4)
    _disable_trigger(session)  # as someone with the database's owner rights would
    session.execute(
        text("UPDATE audit_events SET reason = 'nothing happened' WHERE id = :id"), {"id": events[2].id}
    )
    session.expire_all()
    (report,) = verify_chains(session)
    assert (report.broken_event_id, report.broken_seq, report.problem) == (
        events[2].id,
        3,
        "its content was changed after it was recorded",
    )


def test_a_deleted_event_is_found_by_verify(session):
    events = _events(session, 4)
    _disable_trigger(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    session.expire_all()
    (report,) = verify_chains(session)
    assert (report.broken_event_id, report.problem) == (
        events[2].id,
        "events 2 to 2 of the chain are missing (deleted)",
    )


def test_a_deleted_last_event_is_found_by_verify(session):
    events = _events(session, 3)
    _disable_trigger(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[2].id})
    session.expire_all()
    (report,) = verify_chains(session)
    assert report.problem == "the chain ends at event 2 but recorded 3 (deleted at the end)"


@pytest.fixture
def postgres_only(backend):  # noqa: ANN001, ANN201
    if backend != "postgresql":
        pytest.skip("the refusing trigger is PostgreSQL's")


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"])
def test_postgresql_refuses_to_change_or_delete_history(postgres_only, session, statement):
    _events(session, 1)
    with pytest.raises(DBAPIError, match="the audit log is append-only"), session.begin_nested():
        session.execute(text(statement))


def test_postgresql_refuses_the_apps_own_bulk_update(postgres_only, session):
    _events(session, 1)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(update(AuditEvent).values(reason="rewritten"))


def test_concurrent_appenders_on_postgresql_never_fork_a_chain(postgres_only, committing_engine):
    with Session(committing_engine) as setup:
        shop = make_shop(setup)
        setup.commit()
        shop_id = shop.id

    def append() -> None:
        for _ in range(10):
            with Session(committing_engine) as s:
                _events(s, 1, shop_id)
                s.commit()

    threads = [threading.Thread(target=append) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(committing_engine) as check:
        (report,) = verify_chains(check, shop_id=shop_id)
    assert (report.events, report.whole) == (40, True)


def test_audit_verify_exits_0_when_whole_and_1_naming_the_event_when_broken(tmp_path, monkeypatch):
    from storeguard.cli import app
    from storeguard.core.config import get_settings
    from storeguard.core.db import make_engine
    from storeguard.core.migrations import upgrade_to_head

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    upgrade_to_head(url)
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    with Session(engine) as session:
        events = _events(session, 3)
        session.commit()
        broken_id = events[1].id
    runner = CliRunner()
    whole = runner.invoke(app, ["audit", "verify"], env={"COLUMNS": "200"})
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = :id"), {"id": broken_id})
    broken = runner.invoke(app, ["audit", "verify"], env={"COLUMNS": "200"})
    engine.dispose()
    get_settings.cache_clear()
    assert (whole.exit_code, broken.exit_code) == (0, 1)
    assert "whole" in whole.output
    assert (
        f"chain global: broken at event #{broken_id} (position 2): its content was changed" in broken.output
    )


def test_the_migration_chains_events_recorded_before_it(tmp_path):
    from alembic import command

    from storeguard.core.clock import now
    from storeguard.core.db import make_engine
    from storeguard.core.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, actor, action, subject_type, subject_id) "
                    "VALUES (:at, 'old', 'old.thing', 'x', :sid)"
                ),
                {"at": now().isoformat(" ", "microseconds")[:26], "sid": str(i)},
            )
    command.upgrade(cfg, "head")
    with Session(engine) as session:
        (report,) = verify_chains(session)
    engine.dispose()
    assert (report.chain, report.events, report.whole) == ("global", 3, True)


def test_postgresql_lets_a_redaction_of_an_events_words_through(postgres_only, session):
    _events(session, 1)

    session.execute(text("UPDATE audit_events SET reason = '[erased]', redacted_at = now()"))

    assert session.scalar(select(AuditEvent.reason)) == "[erased]"


def test_postgresql_refuses_a_redaction_that_changes_more_than_the_words(postgres_only, session):
    _events(session, 1)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_events SET actor = 'someone', redacted_at = now()"))


def test_the_app_refuses_to_change_an_events_words_without_marking_it_redacted(session):
    (event,) = _events(session, 1)
    event.reason = "rewritten"
    with pytest.raises(PermissionError, match="append-only"), session.begin_nested():
        session.flush()


def test_a_redacted_events_chain_still_verifies_and_counts_it(session):
    _events(session, 3)

    changed = redact_events(session, [("note", 1)], ["note 1"])

    (report,) = verify_chains(session)
    event = session.get(AuditEvent, changed[0])
    assert (report.whole, report.redacted, event.after) == (True, 1, {"text": "[erased]", "amount": 100})
