"""Giving a person's data out is itself recorded: who exported whose data, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.privacy.service import customer_export


def export_customer(session: Session, *, customer_id: int, actor: Actor) -> dict[str, Any]:
    """Build a customer's export and record that it was made (the parts exported, not their content)."""
    export = customer_export(session, customer_id)
    record_event(
        session,
        actor=actor,
        action="customer.exported",
        subject_type="customer",
        subject_id=customer_id,
        data={"parts": sorted(export["parts"])},
        shop_id=export["shop_id"],
    )
    session.flush()
    return export
