"""work runs

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00

A list import and a backtest over a long range run in the background; the page that started
them polls a row of this table for how far they got, and reads their answer from it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storeguard.core.db import BigId, Json, UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("result", Json, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_runs")),
    )
    op.create_index("ix_work_runs_kind", "work_runs", ["kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_work_runs_kind", table_name="work_runs")
    op.drop_table("work_runs")
