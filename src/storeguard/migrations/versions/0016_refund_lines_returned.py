"""refund lines say whether the goods came back

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 10:00:00

A customer's returned items were counted from restocks, so a cancel's restock counted as a return
and a refund of a worn item that was not restocked did not. A refund line now says whether its
units came back (Shopify's ``restock_type: return``, a return's refund). Existing lines keep the
meaning they had (a restock was a return) until their orders are imported again.

The migration that follows 0014 on another branch is 0015; the merge chains this one after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refund_lines") as batch:
        batch.add_column(sa.Column("returned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE refund_lines SET returned = restock")


def downgrade() -> None:
    with op.batch_alter_table("refund_lines") as batch:
        batch.drop_column("returned")
