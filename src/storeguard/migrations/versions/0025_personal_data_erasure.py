"""personal data erasure

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 20:40:00

When a customer's personal data was erased; and the audit log's words hashed through a stored
digest, so that a person's data can later be erased from an event while the chain still verifies.
Every chain that verifies as it stands is rehashed that way once, here; a chain already broken is
left as recorded (its events keep the old hash over their words, and verification still names
the break). On PostgreSQL the append-only trigger now lets one change through: a redaction.
"""

from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

import storeguard.core.db
from storeguard.core.audit import GENESIS, event_hash, payload_digest
from storeguard.core.models import APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only, so ' || TG_OP || ' on audit_events is refused';
END;
$$ LANGUAGE plpgsql
"""

_EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger()),
    sa.column("at", storeguard.core.db.UTCDateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("reason", sa.Text()),
    sa.column("before", storeguard.core.db.Json),
    sa.column("after", storeguard.core.db.Json),
    sa.column("data", storeguard.core.db.Json),
    sa.column("chain", sa.String()),
    sa.column("seq", sa.BigInteger()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
    sa.column("payload_digest", sa.String()),
    sa.column("redacted_at", storeguard.core.db.UTCDateTime(timezone=True)),
)
_HEADS = sa.table("audit_chain_heads", sa.column("chain", sa.String()), sa.column("hash", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("redacted_at", storeguard.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", storeguard.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    _rehash(digests=True)
    if postgres:
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
    _rehash(digests=False)
    if postgres:
        op.execute(_OLD_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("redacted_at")
        batch_op.drop_column("payload_digest")


def _events(chain: str) -> Iterator[SimpleNamespace]:
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.select(_EVENTS)
            .where(_EVENTS.c.chain == chain, _EVENTS.c.seq > after)
            .order_by(_EVENTS.c.seq)
            .limit(5000)
        ).all()
        yield from (SimpleNamespace(**row._asdict()) for row in rows)
        if len(rows) < 5000:
            return
        after = rows[-1].seq


def _whole(chain: str) -> bool:
    """Tell whether a chain verifies as it stands (the same checks as ``verify_chains``)."""
    expected, prev = 1, GENESIS
    for event in _events(chain):
        if event.seq != expected or event.prev_hash != prev or event_hash(event, prev) != event.hash:  # type: ignore[arg-type]
            return False
        if (
            event.payload_digest is not None
            and event.redacted_at is None
            and payload_digest(event) != event.payload_digest
        ):  # type: ignore[arg-type]
            return False
        expected, prev = expected + 1, event.hash
    return True


def _rehash(*, digests: bool) -> None:
    """Rehash every whole chain with its words' digests (upgrade) or over its words (downgrade).

    Downgrading a chain an erasure has redacted cannot bring its words back: it is left as it is.
    """
    bind = op.get_bind()
    chains = [row[0] for row in bind.execute(sa.select(_HEADS.c.chain))]
    for chain in chains:
        if not _whole(chain):
            continue
        redacted = bind.scalar(
            sa.select(sa.func.count()).where(_EVENTS.c.chain == chain, _EVENTS.c.redacted_at.is_not(None))
        )
        if not digests and redacted:
            continue
        prev = GENESIS
        updates: list[dict[str, Any]] = []
        for event in _events(chain):
            event.payload_digest = payload_digest(event) if digests else None  # type: ignore[arg-type]
            event.hash = event_hash(event, prev)  # type: ignore[arg-type]
            updates.append({"b_id": event.id, "d": event.payload_digest, "p": prev, "h": event.hash})
            prev = event.hash
            if len(updates) == 5000:
                _write(updates)
        _write(updates)
        bind.execute(_HEADS.update().where(_HEADS.c.chain == chain).values(hash=prev))


def _write(updates: list[dict[str, Any]]) -> None:
    if updates:
        op.get_bind().execute(
            _EVENTS.update()
            .where(_EVENTS.c.id == sa.bindparam("b_id"))
            .values(payload_digest=sa.bindparam("d"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            updates,
        )
        updates.clear()
