"""outbound events

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 20:45:00

A merchant's URLs subscribed to events (with their encrypted signing secrets), the deliveries
raised for them with the exact body sent, and every attempt to send one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_subscriptions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("shop_id", BIG_ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_subscriptions_shop_id", "event_subscriptions", ["shop_id"])
    op.create_table(
        "event_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("subscription_id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_message_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["event_subscriptions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_event_deliveries_subscription", "event_deliveries", ["subscription_id", "id"])
    op.create_table(
        "event_delivery_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["event_deliveries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_delivery_attempts_delivery_id", "event_delivery_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_event_delivery_attempts_delivery_id", table_name="event_delivery_attempts")
    op.drop_table("event_delivery_attempts")
    op.drop_index("ix_event_deliveries_subscription", table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_index("ix_event_subscriptions_shop_id", table_name="event_subscriptions")
    op.drop_table("event_subscriptions")
