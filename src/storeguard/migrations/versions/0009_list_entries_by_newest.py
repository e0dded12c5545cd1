"""list entries by newest

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 13:40:00

The lists page reads the newest entries a page at a time; at a million entries that needs an
index on (created_at, id) instead of sorting the table on every page.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_list_entries_created", "list_entries", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_list_entries_created", table_name="list_entries")
