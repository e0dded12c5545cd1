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
    with op.batch_alter_table("line_items") as batch:
        batch.add_column(sa.Column("properties", JSON, server_default=sa.text("'[]'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("line_items") as batch:
        batch.drop_column("properties")
