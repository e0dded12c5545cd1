"""Filtering the audit log by who acted starts at that actor's newest event, on both databases."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from storeguard.audit.service import actor_names
from storeguard.core.models import AuditEvent


def _plan(session, statement) -> str:
    dialect = session.get_bind().dialect.name
    compiled = statement.compile(
        dialect=postgresql.dialect() if dialect == "postgresql" else sqlite.dialect(),
        compile_kwargs={"literal_binds": True},
    )
    if dialect == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = session.execute(text(f"EXPLAIN {compiled}")).scalars()
    else:
        rows = (r[-1] for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    return "\n".join(rows)


def test_the_audit_log_filtered_by_actor_reads_the_actor_index(session):
    # The shape of audit_page's read for one actor: theirs, newest first, one page.
    statement = (
        select(AuditEvent)
        .where(AuditEvent.actor.in_(actor_names("kari@example.com")))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(51)
    )

    assert "ix_audit_events_actor" in _plan(session, statement)
