"""shops count their order numbers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 12:45:00

An order made in storeguard took its number from a count of the shop's orders (10 ms at 100,000
orders, on every order) and two at once could take the same one. The shop now keeps the next
number; existing shops start where the count would have.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(
            sa.Column("next_order_number", sa.BigInteger(), nullable=False, server_default="1001")
        )
    op.execute(
        "UPDATE shops SET next_order_number = 1001 + (SELECT count(*) FROM orders WHERE orders.shop_id = shops.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("next_order_number")
