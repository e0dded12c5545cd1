"""shops connected to Shopify say that Shopify mails their customers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00

Domains no longer ask the Shopify integration whether a shop is connected; they read
``settings.platform_mails_customers``, which storing an access token now sets. Shops connected
before this revision get the flag here, so their customers are still not mailed twice.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storeguard.core.db import Json

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAG = "platform_mails_customers"


def _set_flag(value: bool | None) -> None:
    bind = op.get_bind()
    connected = bind.execute(
        sa.text(
            "SELECT s.id, s.settings FROM shops s JOIN integration_secrets i ON i.owner = s.domain"
            " WHERE i.scope = 'shop' AND i.name = 'access_token' AND s.platform = 'shopify'"
        )
    ).all()
    update = sa.text("UPDATE shops SET settings = :settings WHERE id = :id").bindparams(
        sa.bindparam("settings", type_=Json)
    )
    for shop_id, settings in connected:
        data = json.loads(settings) if isinstance(settings, str) else dict(settings or {})
        if value is None:
            data.pop(FLAG, None)
        else:
            data[FLAG] = value
        bind.execute(update, {"id": shop_id, "settings": data})


def upgrade() -> None:
    _set_flag(True)


def downgrade() -> None:
    _set_flag(None)
