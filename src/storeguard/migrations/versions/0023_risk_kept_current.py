"""risk kept current

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 19:40:00

Customers whose history changed after their risk was assessed (an order, refund, dispute, block),
marked by the write itself and reassessed by the background work shortly after; and the types
of each customer's findings beside them, for screening to read (rows stored before are marked, so
the background work fills them in).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_stale_customers",
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_risk_stale_customers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_risk_stale_customers_shop_id_shops")),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_risk_stale_customers")),
    )
    with op.batch_alter_table("customer_risks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finding_types", sa.String(length=300), server_default="", nullable=False))
    op.execute(
        "INSERT INTO risk_stale_customers (customer_id, shop_id, changes) "
        "SELECT customer_id, shop_id, 1 FROM customer_risks"
    )


def downgrade() -> None:
    with op.batch_alter_table("customer_risks", schema=None) as batch_op:
        batch_op.drop_column("finding_types")
    op.drop_table("risk_stale_customers")
