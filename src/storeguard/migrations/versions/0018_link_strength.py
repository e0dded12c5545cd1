"""link strength

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 10:00:00

A card's BIN and last four digits alone linked customers, and cards collide: strangers were joined
into one cluster and a block on one reached the other. Orders now keep the card's expiry and the
buyer's user agent. Identifiers recorded as a card from its BIN and last four alone become card
numbers (a weak identifier); Shopify's ":last4" (no BIN) stops being a card at all. Run
``storeguard orders reindex-identifiers`` after upgrading to rebuild the clusters from strong links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_agent", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("card_expiry", sa.String(length=5), nullable=True))
    # The Shopify mirror stored "BIN:LAST4" as if it were a gateway fingerprint; the order's own
    # card columns say the same, so the copy goes.
    op.execute(
        "UPDATE orders SET payment_fingerprint = NULL WHERE card_last4 IS NOT NULL"
        " AND payment_fingerprint = COALESCE(card_bin, '') || ':' || card_last4"
    )
    # "card:BIN:LAST4" without an expiry names no one card.
    op.execute(
        "UPDATE identifiers SET type = 'card_number' WHERE type = 'payment_fingerprint'"
        " AND value LIKE 'card:%' AND value NOT LIKE 'card:%:%:%'"
    )
    # ":LAST4" read as a gateway fingerprint: one in ten thousand cards ends so.
    op.execute("DELETE FROM identifiers WHERE type = 'payment_fingerprint' AND value LIKE 'fp::%'")


def downgrade() -> None:
    op.execute(
        "UPDATE identifiers SET type = 'payment_fingerprint' WHERE type = 'card_number'"
        " AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.customer_id = identifiers.customer_id"
        " AND i.type = 'payment_fingerprint' AND i.value = identifiers.value)"
    )
    op.execute("DELETE FROM identifiers WHERE type IN ('card_number', 'ip_user_agent')")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("card_expiry")
        batch_op.drop_column("user_agent")
