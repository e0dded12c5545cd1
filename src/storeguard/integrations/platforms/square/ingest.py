"""Processing a stored Square dispute event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.errors import Invalid
from storeguard.core.money import validate_currency
from storeguard.disputes.actions import record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.common import parse_body, timestamp
from storeguard.integrations.platforms.dispute_reasons import SQUARE_STATES, square_reason
from storeguard.orders.service import find_order_for_payment

SQUARE = Actor("webhook", "square")


def map_dispute(dispute: dict[str, Any]) -> DisputeReport:
    """Map a Square dispute object."""
    money = dispute.get("amount_money") or {}
    if not isinstance(money.get("amount"), int):
        raise MappingError("dispute amount_money.amount is not an integer of minor units")
    try:
        currency = validate_currency(str(money.get("currency") or ""))
    except Invalid as exc:
        raise MappingError(exc.message) from None
    dispute_id = dispute.get("id") or dispute.get("dispute_id")
    if not dispute_id:
        raise MappingError("the dispute has no id")
    state = str(dispute.get("state") or "")
    return DisputeReport(
        gateway="square",
        gateway_dispute_id=str(dispute_id),
        amount=money["amount"],
        currency=currency,
        status=SQUARE_STATES.get(state, "under_review"),
        gateway_status=state or None,
        reason=square_reason(str(dispute.get("reason") or "")),
        gateway_reason=dispute.get("reason"),
        evidence_due_at=timestamp(dispute.get("due_at")),
        opened_at=timestamp(
            dispute.get("reported_at") or dispute.get("reported_date") or dispute.get("created_at")
        ),
        payment_reference=(dispute.get("disputed_payment") or {}).get("payment_id"),
    )


def handle(session: Session, delivery: WebhookDelivery) -> DeliveryStatus:
    """Apply a Square ``dispute.*`` event; other events are kept and ignored."""
    if not delivery.topic.startswith("dispute."):
        return DeliveryStatus.ignored
    event = parse_body(delivery.body)
    dispute = ((event.get("data") or {}).get("object") or {}).get("dispute")
    if not isinstance(dispute, dict):
        raise MappingError("the event has no data.object.dispute")
    mapped = map_dispute(dispute)
    order = find_order_for_payment(session, payment_reference=mapped.payment_reference)
    occurred = timestamp(dispute.get("updated_at")) or timestamp(event.get("created_at"))
    record_dispute_report(
        session,
        mapped,
        actor=SQUARE,
        event=delivery.topic,
        event_id=event.get("event_id"),
        occurred_at=occurred,
        order_id=order.id if order is not None else None,
        payload=dispute,
    )
    return DeliveryStatus.processed
