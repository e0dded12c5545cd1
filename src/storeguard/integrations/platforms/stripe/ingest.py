"""Processing a stored Stripe event, keyed on its ``type``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.errors import Invalid
from storeguard.core.money import validate_currency
from storeguard.disputes.actions import record_dispute_report
from storeguard.disputes.schemas import DisputeReport
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.common import parse_body, stamp
from storeguard.integrations.platforms.dispute_reasons import STRIPE_STATES, stripe_reason
from storeguard.orders.actions import record_fraud_warning
from storeguard.orders.models import Order
from storeguard.orders.payments import record_gateway_refund
from storeguard.orders.service import find_order_for_payment

STRIPE = Actor("webhook", "stripe")
DISPUTE_TYPES = frozenset(
    {
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)
TYPES = DISPUTE_TYPES | {"charge.refunded", "radar.early_fraud_warning.created"}


def _currency(value: Any) -> str:
    try:
        return validate_currency(str(value or ""))
    except Invalid as exc:
        raise MappingError(exc.message) from None


def _ref(value: Any) -> str | None:
    """Stripe references are ids or, when expanded, objects with an id."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def map_dispute(obj: dict[str, Any], event_type: str) -> DisputeReport:
    """Map a Stripe dispute object; amounts are already minor units."""
    if obj.get("object") != "dispute" or not obj.get("id"):
        raise MappingError("the event does not carry a dispute object")
    amount = obj.get("amount")
    if not isinstance(amount, int):
        raise MappingError(f"dispute amount {amount!r} is not an integer of minor units")
    status = str(obj.get("status") or "")
    details = obj.get("evidence_details") or {}
    return DisputeReport(
        gateway="stripe",
        gateway_dispute_id=str(obj["id"]),
        amount=amount,
        currency=_currency(obj.get("currency")),
        status=STRIPE_STATES.get(status, "under_review"),
        gateway_status=status or None,
        reason=stripe_reason(str(obj.get("reason") or "general")),
        gateway_reason=obj.get("reason"),
        evidence_due_at=stamp(details.get("due_by")),
        opened_at=stamp(obj.get("created")),
        charge_reference=_ref(obj.get("charge")),
        payment_reference=_ref(obj.get("payment_intent")),
        funds_withdrawn=event_type == "charge.dispute.funds_withdrawn" or None,
        funds_reinstated=event_type == "charge.dispute.funds_reinstated" or None,
    )


def _order_for(
    session: Session, obj: dict[str, Any], payment: str | None, charge: str | None
) -> Order | None:
    return find_order_for_payment(
        session, metadata=obj.get("metadata") or {}, payment_reference=payment, charge_reference=charge
    )


def _record_refunds(session: Session, order: Order, charge: dict[str, Any]) -> int:
    """Record each Stripe refund of a charge once (by its re_ id) through the orders domain."""
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    currency = _currency(charge.get("currency"))
    added = 0
    for r in refunds:
        amount = r.get("amount")
        if not r.get("id") or r.get("status") not in {"succeeded", "pending"}:
            continue
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise MappingError(f"refund {r['id']} amount {amount!r} is not a positive integer of minor units")
        recorded = record_gateway_refund(
            session,
            order_id=order.id,
            actor=STRIPE,
            gateway="stripe",
            reference=str(r["id"]),
            amount=amount,
            currency=currency,
            succeeded=r.get("status") == "succeeded",
            reason=r.get("reason"),
            refunded_at=stamp(r.get("created")),
        )
        added += recorded is not None
    return added


def handle(session: Session, delivery: WebhookDelivery) -> DeliveryStatus:
    """Apply one Stripe event by its type; other types are kept and ignored."""
    if delivery.topic not in TYPES:
        return DeliveryStatus.ignored
    event = parse_body(delivery.body)
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise MappingError("the event has no data.object")
    occurred = stamp(event.get("created"))
    if delivery.topic in DISPUTE_TYPES:
        mapped = map_dispute(obj, delivery.topic)
        order = _order_for(session, obj, mapped.payment_reference, mapped.charge_reference)
        record_dispute_report(
            session,
            mapped,
            actor=STRIPE,
            event=delivery.topic,
            event_id=event.get("id"),
            occurred_at=occurred,
            order_id=order.id if order is not None else None,
            payload=obj,
        )
        return DeliveryStatus.processed
    if delivery.topic == "charge.refunded":
        order = _order_for(session, obj, _ref(obj.get("payment_intent")), obj.get("id"))
        if order is None:
            return DeliveryStatus.ignored  # a charge storeguard has no order for
        added = _record_refunds(session, order, obj)
        record_event(
            session,
            actor=STRIPE,
            action="order.refund_reported",
            subject_type="order",
            subject_id=order.id,
            data={
                "charge": obj.get("id"),
                "amount_refunded": obj.get("amount_refunded"),
                "new_refunds": added,
            },
        )
        return DeliveryStatus.processed
    # radar.early_fraud_warning.created: the card network's early word that a dispute may follow.
    order = _order_for(session, obj, _ref(obj.get("payment_intent")), _ref(obj.get("charge")))
    details = {"fraud_type": obj.get("fraud_type"), "actionable": obj.get("actionable")}
    if order is not None:
        record_fraud_warning(session, order_id=order.id, actor=STRIPE, warning=obj.get("id"), details=details)
    else:  # a charge storeguard has no order for: kept on record against the charge
        record_event(
            session,
            actor=STRIPE,
            action="order.fraud_warning_received",
            subject_type="stripe_charge",
            subject_id=str(_ref(obj.get("charge"))),
            data={"warning": obj.get("id"), **details},
        )
    return DeliveryStatus.processed
