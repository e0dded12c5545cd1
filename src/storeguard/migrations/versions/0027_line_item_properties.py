"""line item properties

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 22:30:00

What the buyer wrote on each line (engraving text, gift message, custom size), as the platform's
list of name/value pairs; lines stored before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: a batch copy of line_items would drop the table that
    # refunds and returns point at, which SQLite refuses once an order has been refunded.
    op.add_column("line_items", sa.Column("properties", JSON, server_default=sa.text("'[]'"), nullable=False))


def downgrade() -> None:
    op.drop_column("line_items", "properties")  # SQLite has had DROP COLUMN since 3.35
