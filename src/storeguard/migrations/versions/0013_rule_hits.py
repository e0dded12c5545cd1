"""rule hits

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 16:51:20

The rules page shows how often each rule matched today, in 7 days and in 30 days. Reading that
from the decisions' reasons reads a month of decisions per page view; screening counts a rule's
hits per UTC day as it records a decision instead, one row per rule and day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_hits",
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_hits_rule_id_rules")),
        sa.PrimaryKeyConstraint("rule_id", "day", name=op.f("pk_rule_hits")),
    )


def downgrade() -> None:
    op.drop_table("rule_hits")
