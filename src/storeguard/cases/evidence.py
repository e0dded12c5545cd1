"""The customer's messages in support cases, for a dispute's evidence pack (registered with disputes:
disputes cannot read cases, which already read disputes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storeguard.cases.enums import EntryKind
from storeguard.cases.models import Case, CaseEntry
from storeguard.customers.models import Customer
from storeguard.disputes.evidence import MESSAGES_SHOWN, add_communication_source


def customer_messages(session: Session, customer: Customer | None, email: str | None) -> list[dict[str, Any]]:
    """The customer's messages in support cases, both ways, for a dispute's evidence (notes stay internal)."""
    owners = [Case.customer_id == customer.id] if customer is not None else []
    owners += [Case.customer_email == email] if email else []
    if not owners:
        return []
    same_shop = [Case.shop_id == customer.shop_id] if customer is not None else []  # one shop's cases
    rows = session.execute(
        select(CaseEntry, Case)
        .join(Case, Case.id == CaseEntry.case_id)
        .where(or_(*owners), *same_shop, CaseEntry.kind != EntryKind.note)
        .order_by(CaseEntry.id.desc())
        .limit(MESSAGES_SHOWN)
    ).all()
    return [
        {
            "at": entry.created_at.isoformat(),
            "source": f"case {case.id}: "
            + ("from customer" if entry.kind == EntryKind.inbound else "to customer"),
            "author": entry.author or "",
            "text": f"{entry.subject or ''}\n{entry.body}".strip(),
            "outbox_message_id": entry.outbox_message_id,
        }
        for entry, case in rows
    ]


add_communication_source("support cases", customer_messages)
