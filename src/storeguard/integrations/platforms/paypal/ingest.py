"""Processing a stored PayPal ``CUSTOMER.DISPUTE.*`` event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.errors import Invalid
from storeguard.core.money import to_minor, validate_currency
from storeguard.disputes.actions import record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.common import parse_body, timestamp
from storeguard.integrations.platforms.dispute_reasons import paypal_reason, paypal_status
from storeguard.orders.service import find_order_for_payment

PAYPAL = Actor("webhook", "paypal")


def map_dispute(resource: dict[str, Any]) -> DisputeReport:
    """Map a PayPal dispute resource; amounts are decimal strings."""
    dispute_id = resource.get("dispute_id")
    if not dispute_id:
        raise MappingError("the dispute has no dispute_id")
    amount = resource.get("dispute_amount") or {}
    try:
        currency = validate_currency(str(amount.get("currency_code") or ""))
        minor = to_minor(str(amount.get("value") or "0"), currency)
    except Invalid as exc:
        raise MappingError(exc.message) from None
    status = str(resource.get("status") or "")
    stage = resource.get("dispute_life_cycle_stage")
    outcome = (resource.get("dispute_outcome") or {}).get("outcome_code")
    transactions = resource.get("disputed_transactions") or []
    first = transactions[0] if transactions else {}
    return DisputeReport(
        gateway="paypal",
        gateway_dispute_id=str(dispute_id),
        amount=minor,
        currency=currency,
        status=paypal_status(status, stage, outcome),
        gateway_status=status or None,
        reason=paypal_reason(str(resource.get("reason") or "")),
        gateway_reason=resource.get("reason"),
        evidence_due_at=timestamp(resource.get("seller_response_due_date")),
        opened_at=timestamp(resource.get("create_time")),
        payment_reference=first.get("seller_transaction_id"),
        order_platform_id=first.get("invoice_number") or first.get("custom"),
    )


def handle(session: Session, delivery: WebhookDelivery) -> DeliveryStatus:
    """Apply a PayPal dispute event; other events are kept and ignored."""
    if not delivery.topic.startswith("CUSTOMER.DISPUTE."):
        return DeliveryStatus.ignored
    event = parse_body(delivery.body)
    resource = event.get("resource")
    if not isinstance(resource, dict):
        raise MappingError("the event has no resource")
    mapped = map_dispute(resource)
    order = find_order_for_payment(
        session,
        metadata={"order_id": mapped.order_platform_id} if mapped.order_platform_id else None,
        payment_reference=mapped.payment_reference,
    )
    occurred = timestamp(resource.get("update_time")) or timestamp(event.get("create_time"))
    record_dispute_report(
        session,
        mapped,
        actor=PAYPAL,
        event=delivery.topic,
        event_id=event.get("id"),
        occurred_at=occurred,
        order_id=order.id if order is not None else None,
        payload=resource,
    )
    return DeliveryStatus.processed
