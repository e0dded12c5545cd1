"""What appeals hold about a customer, for their privacy export: each appeal with the files they
sent, the files' bytes in base64 (registered with ``core.privacy``)."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.appeals.models import Appeal, AppealAttachment
from storeguard.core.privacy import add_export_part, row_data
from storeguard.customers.models import Customer


def _attachment(a: AppealAttachment) -> dict[str, Any]:
    # Raw bytes are not JSON: every other column as stored, the file itself in base64.
    columns = jsonable_encoder({c.key: getattr(a, c.key) for c in a.__table__.columns if c.key != "data"})
    return {**columns, "data_base64": base64.b64encode(a.data).decode("ascii")}


def appeals_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    out = []
    for appeal in session.scalars(
        select(Appeal).where(Appeal.customer_id == customer.id).order_by(Appeal.id)
    ):
        files = session.scalars(
            select(AppealAttachment)
            .where(AppealAttachment.appeal_id == appeal.id)
            .order_by(AppealAttachment.id)
        )
        out.append({**row_data(appeal), "attachments": [_attachment(a) for a in files]})
    return out


add_export_part("appeals", appeals_part)
