"""Upgrading to the audit log's digests: whole chains are rehashed once and still verify; a broken one stays broken."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from alembic import command
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from storeguard.core.audit import GENESIS, event_hash, verify_chains
from storeguard.core.db import Json, make_engine
from storeguard.core.migrations import alembic_config
from storeguard.core.models import AuditEvent

_INSERT = text(
    "INSERT INTO audit_events (id, at, actor, action, subject_type, subject_id, reason, before, after, data,"
    " chain, seq, prev_hash, hash) VALUES (:id, :at, 'cli', :action, 'customer', '1', NULL, NULL, :after, NULL,"
    " :chain, :seq, :prev, :hash)"
).bindparams(bindparam("after", type_=Json))


def _chain(conn, chain: str, first_id: int, emails: list[str]) -> str:
    """Record events the way the log did before digests (hashed over their words); return the head."""
    prev = GENESIS
    for seq, email in enumerate(emails, start=1):
        at = datetime(2026, 1, seq, tzinfo=UTC)
        event = SimpleNamespace(
            chain=chain,
            seq=seq,
            at=at,
            actor="cli",
            action="customer.created",
            subject_type="customer",
            subject_id="1",
            reason=None,
            before=None,
            after={"email": email},
            data=None,
        )
        digest = event_hash(event, prev)  # type: ignore[arg-type]
        conn.execute(
            _INSERT,
            {
                "id": first_id + seq,
                "at": at,
                "action": "customer.created",
                "after": {"email": email},
                "chain": chain,
                "seq": seq,
                "prev": prev,
                "hash": digest,
            },
        )
        prev = digest
    conn.execute(
        text("INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (:c, :s, :h)"),
        {"c": chain, "s": len(emails), "h": prev},
    )
    return prev


def test_upgrading_rehashes_whole_chains_with_digests_and_leaves_a_broken_one_broken(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0023")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            _chain(conn, "shop:1", 0, ["a@example.com", "b@example.com"])
            _chain(conn, "shop:2", 10, ["c@example.com", "d@example.com"])
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        with engine.begin() as conn:  # someone changed an event of shop 2 behind the log's back
            conn.execute(text("UPDATE audit_events SET actor = 'someone' WHERE id = 12"))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        command.upgrade(config, "0025")
        with Session(engine) as session:
            reports = {r.chain: (r.whole, r.broken_seq) for r in verify_chains(session)}
            digests = [
                e.payload_digest is not None
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            ]
    finally:
        engine.dispose()
    assert reports == {"shop:1": (True, None), "shop:2": (False, 2)}
    assert digests == [True, True, False, False]
