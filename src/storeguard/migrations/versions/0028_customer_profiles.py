"""customer profiles

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 22:40:00

Each customer's history in the eight numbers checkout screening reads (orders, spend,
cancellations, chargebacks, refunds, refunded, items bought and returned), kept current by the
writes that change them so a checkout reads one row instead of aggregating the history. Filled
here for every existing customer with the same counts screening made; ``storeguard profiles
verify`` checks them afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUMBERS = (
    "orders_count",
    "total_spent",
    "cancellations",
    "chargebacks",
    "refunds_count",
    "refunded_amount",
    "items_bought",
    "items_returned",
)
# A dispute counts as a chargeback in every state but an inquiry's (the warning_ ones).
_CHARGEBACK_STATUSES = "'needs_response', 'under_review', 'won', 'lost', 'accepted', 'closed'"

_BACKFILL = f"""
INSERT INTO customer_profiles (customer_id, {", ".join(_NUMBERS)})
SELECT c.id,
  COALESCE(o.orders, 0), COALESCE(o.spent, 0), COALESCE(o.cancelled, 0), COALESCE(o.chargebacks, 0),
  COALESCE(r.refunds, 0), COALESCE(r.refunded, 0), COALESCE(b.bought, 0), COALESCE(x.returned, 0)
FROM customers c
LEFT JOIN (
  SELECT orders.customer_id, COUNT(orders.id) AS orders,
    SUM(CASE WHEN orders.status != 'cancelled' THEN orders.total ELSE 0 END) AS spent,
    SUM(CASE WHEN orders.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
    SUM(CASE WHEN CAST(orders.tags AS VARCHAR) LIKE '%"chargeback"%' OR EXISTS (
      SELECT 1 FROM disputes WHERE disputes.order_id = orders.id
      AND disputes.status IN ({_CHARGEBACK_STATUSES})) THEN 1 ELSE 0 END) AS chargebacks
  FROM orders WHERE orders.customer_id IS NOT NULL GROUP BY orders.customer_id
) o ON o.customer_id = c.id
LEFT JOIN (
  SELECT orders.customer_id, COUNT(refunds.id) AS refunds, SUM(refunds.amount) AS refunded
  FROM refunds JOIN orders ON orders.id = refunds.order_id
  WHERE orders.status != 'cancelled' GROUP BY orders.customer_id
) r ON r.customer_id = c.id
LEFT JOIN (
  SELECT orders.customer_id, SUM(line_items.quantity) AS bought
  FROM line_items JOIN orders ON orders.id = line_items.order_id
  WHERE orders.status != 'cancelled' GROUP BY orders.customer_id
) b ON b.customer_id = c.id
LEFT JOIN (
  SELECT orders.customer_id, SUM(refund_lines.quantity) AS returned
  FROM refund_lines JOIN refunds ON refunds.id = refund_lines.refund_id
  JOIN orders ON orders.id = refunds.order_id
  WHERE orders.status != 'cancelled' AND refund_lines.returned = {{true}} GROUP BY orders.customer_id
) x ON x.customer_id = c.id
"""


def upgrade() -> None:
    op.create_table(
        "customer_profiles",
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        *(
            sa.Column(
                name, sa.BigInteger().with_variant(sa.Integer(), "sqlite"), server_default="0", nullable=False
            )
            for name in _NUMBERS
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_profiles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profiles")),
    )
    true = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    op.execute(sa.text(_BACKFILL.replace("{true}", true)))


def downgrade() -> None:
    op.drop_table("customer_profiles")
