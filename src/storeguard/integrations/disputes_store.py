"""Recording gateway disputes and their events; an older event never overwrites a newer one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute, DisputeEvent
from storeguard.integrations.mapped import MappedDispute
from storeguard.orders.models import Order, Transaction

WEBHOOK = Actor("webhook", "gateway")


def find_order_for_payment(
    session: Session,
    *,
    metadata: dict[str, Any] | None = None,
    payment_reference: str | None = None,
    charge_reference: str | None = None,
    shop_id: int | None = None,
) -> Order | None:
    """Find the order a gateway object belongs to: metadata order id, then payment, then charge."""
    metadata = metadata or {}
    sg_id = str(metadata.get("storeguard_order_id") or "")
    if sg_id.isdigit():
        order = session.get(Order, int(sg_id))
        if order is not None:
            return order
    ref = metadata.get("order_id") or metadata.get("order_number")
    if ref:
        stmt = select(Order).where((Order.platform_id == str(ref)) | (Order.number == str(ref)))
        if shop_id is not None:
            stmt = stmt.where(Order.shop_id == shop_id)
        found = list(session.scalars(stmt.limit(2)))
        if len(found) == 1:  # an id that matches orders of two shops tells us nothing
            return found[0]
    for reference in (payment_reference, charge_reference):
        if not reference:
            continue
        order_ids = set(
            session.scalars(
                select(Transaction.order_id).where(Transaction.gateway_reference == reference).limit(2)
            )
        )
        if len(order_ids) == 1:
            return session.get(Order, order_ids.pop())
    return None


def record_dispute_event(
    session: Session,
    mapped: MappedDispute,
    *,
    kind: str,
    event_id: str | None,
    occurred_at: datetime | None,
    order: Order | None,
    data: dict[str, Any],
) -> Dispute:
    """Create or update the dispute from a gateway event and append the event to its history."""
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.gateway == mapped.gateway, Dispute.gateway_dispute_id == mapped.gateway_dispute_id)
        .with_for_update()
    )
    created = dispute is None
    if dispute is None:
        dispute = Dispute(
            gateway=mapped.gateway,
            gateway_dispute_id=mapped.gateway_dispute_id,
            amount=mapped.amount,
            currency=mapped.currency,
            status=mapped.status,
            reason=mapped.reason,
        )
        session.add(dispute)
    before = None if created else {"status": str(dispute.status), "amount": dispute.amount}
    if order is not None and dispute.order_id is None:
        dispute.order_id, dispute.shop_id, dispute.customer_id = order.id, order.shop_id, order.customer_id
    if _applies(dispute, mapped.status, occurred_at, created=created):
        dispute.status = DisputeStatus(mapped.status)
        dispute.gateway_status = mapped.gateway_status
        dispute.amount, dispute.currency = mapped.amount, mapped.currency
        dispute.reason, dispute.gateway_reason = mapped.reason, mapped.gateway_reason
        dispute.evidence_due_at = mapped.evidence_due_at or dispute.evidence_due_at
        dispute.charge_reference = mapped.charge_reference or dispute.charge_reference
        dispute.payment_reference = mapped.payment_reference or dispute.payment_reference
        dispute.opened_at = dispute.opened_at or mapped.opened_at
        if occurred_at is not None:
            dispute.last_event_at = occurred_at
    # Money movements are facts whatever the order of arrival.
    if mapped.funds_withdrawn:
        dispute.funds_withdrawn = True
    if mapped.funds_reinstated:
        dispute.funds_reinstated = True
    dispute.events.append(
        DisputeEvent(
            kind=kind,
            gateway_event_id=event_id,
            status=mapped.gateway_status,
            occurred_at=occurred_at,
            data=data,
        )
    )
    session.flush()
    record_event(
        session,
        actor=WEBHOOK,
        action="dispute.opened" if created else "dispute.updated",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after={"status": str(dispute.status), "amount": dispute.amount},
        data={"gateway": mapped.gateway, "event": kind, "event_id": event_id},
    )
    return dispute


def _applies(dispute: Dispute, status: str, occurred_at: datetime | None, *, created: bool) -> bool:
    if created:
        return True
    if occurred_at is not None and dispute.last_event_at is not None:
        if occurred_at < dispute.last_event_at:
            return False
        # Same instant: never step back from an outcome to an open state.
        if (
            occurred_at == dispute.last_event_at
            and DisputeStatus(dispute.status).is_final
            and not DisputeStatus(status).is_final
        ):
            return False
    return True


def stamp(ts: int | float | None) -> datetime | None:
    """Turn a Unix timestamp into aware UTC."""
    return None if ts is None else datetime.fromtimestamp(int(ts), UTC)
