"""list entries that expire, indexed

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 07:00:00

A partial index on the entries with an expiry: the sweep that lifts expired entries and a backtest
asking whether an entry can expire within its range read those few, not every entry of the shop.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_list_entries_expiring",
        "list_entries",
        ["shop_id", "expires_at"],
        unique=False,
        sqlite_where=sa.text("expires_at IS NOT NULL"),
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_list_entries_expiring", table_name="list_entries")
