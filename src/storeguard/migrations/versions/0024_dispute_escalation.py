"""dispute escalation

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 20:40:08

A dispute marked for mediation or arbitration (a high amount worth the extra step), by whom,
when and why.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storeguard.core.db


revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("escalation_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("escalated_at", storeguard.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("escalated_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_column("escalated_by")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("escalation_note")
        batch_op.drop_column("escalation")
