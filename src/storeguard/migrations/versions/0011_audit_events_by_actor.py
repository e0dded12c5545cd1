"""audit events by actor

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:00:00

Filtering the audit log by a person who acts rarely walked the time index through everyone's
events until it found a page of theirs; an index on (actor, at, id) starts at their newest.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_events_actor", "audit_events", ["actor", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_actor", table_name="audit_events")
