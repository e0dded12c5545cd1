"""The only code that changes disputes: record what a gateway reports, in order, with history.

Each action locks what it changes, records an audit event and flushes; the entry point commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute, DisputeEvent
from storeguard.disputes.policy import report_applies
from storeguard.disputes.schemas import DisputeReport
from storeguard.orders.models import Order


def record_dispute_report(
    session: Session,
    report: DisputeReport,
    *,
    actor: Actor,
    event: str,
    event_id: str | None,
    occurred_at: datetime | None,
    order_id: int | None,
    payload: dict[str, Any],
) -> Dispute:
    """Open or update the dispute a gateway reports on and append the report to its history.

    An older report is kept in the history but never overwrites a newer state; money movements
    (funds withdrawn or reinstated) are facts whatever the order of arrival.
    """
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.gateway == report.gateway, Dispute.gateway_dispute_id == report.gateway_dispute_id)
        .with_for_update()
    )
    created = dispute is None
    if dispute is None:
        dispute = Dispute(
            gateway=report.gateway,
            gateway_dispute_id=report.gateway_dispute_id,
            amount=report.amount,
            currency=report.currency,
            status=report.status,
            reason=report.reason,
        )
        session.add(dispute)
    before = None if created else {"status": str(dispute.status), "amount": dispute.amount}
    order = session.get(Order, order_id) if order_id is not None else None
    if order is not None and dispute.order_id is None:
        dispute.order_id, dispute.shop_id, dispute.customer_id = order.id, order.shop_id, order.customer_id
    current = None if created else DisputeStatus(dispute.status)
    if report_applies(current, dispute.last_event_at, DisputeStatus(report.status), occurred_at):
        dispute.status = DisputeStatus(report.status)
        dispute.gateway_status = report.gateway_status
        dispute.amount, dispute.currency = report.amount, report.currency
        dispute.reason, dispute.gateway_reason = report.reason, report.gateway_reason
        dispute.evidence_due_at = report.evidence_due_at or dispute.evidence_due_at
        dispute.charge_reference = report.charge_reference or dispute.charge_reference
        dispute.payment_reference = report.payment_reference or dispute.payment_reference
        dispute.opened_at = dispute.opened_at or report.opened_at
        if occurred_at is not None:
            dispute.last_event_at = occurred_at
    if report.funds_withdrawn:
        dispute.funds_withdrawn = True
    if report.funds_reinstated:
        dispute.funds_reinstated = True
    dispute.events.append(
        DisputeEvent(
            kind=event,
            gateway_event_id=event_id,
            status=report.gateway_status,
            occurred_at=occurred_at,
            data=payload,
        )
    )
    session.flush()
    record_event(
        session,
        actor=actor,
        action="dispute.opened" if created else "dispute.updated",
        subject_type="dispute",
        subject_id=dispute.id,
        before=before,
        after={"status": str(dispute.status), "amount": dispute.amount},
        data={"gateway": report.gateway, "event": event, "event_id": event_id},
    )
    return dispute
