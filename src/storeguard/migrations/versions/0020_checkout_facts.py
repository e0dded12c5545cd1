"""checkout facts

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 19:45:00

Rules read what the checkout says beyond the identifiers: the card's brand, funding, issuing
country and check results, discount codes, the shipping method, the browser's languages and the
buyer's name and tags. Orders keep them in one ``checkout`` document (null for orders stored
before: their facts are unknown, so no rule fires on them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkout", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("checkout")
