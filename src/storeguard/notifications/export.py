"""What notifications hold about a customer, for their privacy export: every notice sent to them,
with the words it was sent in and how its sending went (registered with ``core.privacy``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.core.privacy import add_export_part, row_data
from storeguard.customers.models import Customer
from storeguard.notifications.models import SentNotice


def sent_notices_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SentNotice, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == SentNotice.outbox_message_id)
        .where(SentNotice.customer_id == customer.id)
        .order_by(SentNotice.id)
    ).all()
    return [
        {
            **row_data(notice),
            "text": mail.payload.get("text"),
            "status": str(mail.status),
            "sent_at": mail.sent_at.isoformat() if mail.sent_at else None,
        }
        for notice, mail in rows
    ]


add_export_part("sent_notices", sent_notices_part)
