"""What Shopify is told when storeguard decides: domain events turned into Admin API calls.

Domains publish neutral events (``core.events.publish``); this module is Shopify's subscription to
them. Each handler reads the subject as it is now and queues its mutations through ``outbound``
with a dedupe key, so an event handed over twice is still one call, and a shop that is not
connected (or an order that is not Shopify's) gets nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.customers.models import Customer
from storeguard.integrations.platforms.shopify.outbound import (
    DISABLED_TAG,
    REVIEW_TAG,
    VERIFY_TAG,
    request_customer_disable,
    request_dispute_evidence,
    request_order_cancel,
    request_refund,
    request_risk_assessment,
    request_tags,
    request_tags_removed,
)
from storeguard.orders.models import Order, Refund
from storeguard.shops.models import Shop

# The risk level Shopify is shown for a decision that stops fulfilment. Review and verify are
# MEDIUM, Shopify's "investigate" level: a person (or the customer) still decides, and HIGH would
# tell the merchant's staff to cancel. A block that could not cancel (a fulfilment is under way) is HIGH.
RISK_LEVELS: dict[str, str] = {"block": "high", "review": "medium", "verify": "medium", "allow": "low"}


def risk_facts(decision: str, score: int, reasons: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return a decision as (text, sentiment) facts: a summary, then each reason in order.

    A reason that argues for the order (an allow entry, a negative weight) is positive, one that
    asks for an action or adds weight is negative, anything else neutral.
    """
    facts = [(f"storeguard decision: {decision} (score {score})", "neutral")]
    for r in reasons:
        action, weight = r.get("action"), int(r.get("weight") or 0)
        if action == "allow" or weight < 0:
            sentiment = "positive"
        elif action is not None or weight > 0:
            sentiment = "negative"
        else:
            sentiment = "neutral"
        facts.append((str(r.get("message") or r.get("code")), sentiment))
    return facts


Handler = Callable[[Session, dict[str, Any], OutboxMessage], None]


def _order(session: Session, event: dict[str, Any]) -> Order | None:
    order = session.get(Order, event["subject_id"])
    return order if order is not None and order.platform_id else None


def _cancelled(session: Session, event: dict[str, Any], _message: OutboxMessage) -> None:
    if (order := _order(session, event)) is None:
        return
    data = event["data"]
    request_order_cancel(
        session,
        order,
        reason=data["reason"],
        refund=data["refund"],
        restock=data["restock"],
        notify=data["notify_customer"],
        staff_note=data.get("staff_note"),
    )


def _refunded(session: Session, event: dict[str, Any], _message: OutboxMessage) -> None:
    if event["data"].get("reported_by"):
        return  # a gateway made this refund; asking Shopify too would refund the customer twice
    order, refund = _order(session, event), session.get(Refund, event["data"]["refund_id"])
    if order is not None and refund is not None:
        request_refund(session, order, refund, notify=event["data"]["notify_customer"])


def _tagged_for(tag: str) -> Handler:
    def held(session: Session, event: dict[str, Any], _message: OutboxMessage) -> None:
        """Tag the order and show the decision's reasons on it, so Shopify's admin does not ship it."""
        if (order := _order(session, event)) is None:
            return
        data = event["data"]
        key = f"hold:{order.platform_id}:{data['decision_id']}"
        request_tags(session, order, [tag], dedupe_key=f"{key}:tagsAdd")
        request_risk_assessment(
            session,
            order,
            level=RISK_LEVELS.get(data["outcome"], "none"),
            facts=risk_facts(data["outcome"], data["score"], data["reasons"]),
            dedupe_key=f"{key}:orderRiskAssessmentCreate",
        )

    return held


def _released(session: Session, event: dict[str, Any], message: OutboxMessage) -> None:
    """Untag, and add a later LOW assessment so Shopify no longer says to investigate it."""
    if (order := _order(session, event)) is None:
        return
    key = f"review:{order.platform_id}:{message.id}"
    request_tags_removed(session, order, [REVIEW_TAG], dedupe_key=f"{key}:tagsRemove")
    facts = [("released for fulfilment by a storeguard reviewer", "positive")]
    if note := event["data"].get("note"):
        facts.append((note, "neutral"))
    request_risk_assessment(
        session, order, level="low", facts=facts, dedupe_key=f"{key}:orderRiskAssessmentCreate"
    )


def _untagged(tag: str, prefix: str) -> Handler:
    def untag(session: Session, event: dict[str, Any], message: OutboxMessage) -> None:
        if (order := _order(session, event)) is not None:
            request_tags_removed(
                session, order, [tag], dedupe_key=f"{prefix}:{order.platform_id}:{message.id}:tagsRemove"
            )

    return untag


def _customer_tag(add: bool) -> Handler:
    def change(session: Session, event: dict[str, Any], message: OutboxMessage) -> None:
        customer = session.get(Customer, event["subject_id"])
        if customer is None or not customer.platform_id:
            return
        key = f"customer:{customer.platform_id}:{message.id}"
        if add:
            request_customer_disable(session, customer, dedupe_key=f"{key}:tagsAdd")
        else:
            request_tags_removed(session, customer, [DISABLED_TAG], dedupe_key=f"{key}:tagsRemove")

    return change


def _dispute_evidence(session: Session, event: dict[str, Any], _message: OutboxMessage) -> None:
    """A Shopify Payments dispute's evidence, checked by the disputes domain, sent as Shopify takes it.

    Shopify's dispute evidence has the dispute's own id (as its REST ``dispute_evidences`` did).
    """
    data = event["data"]
    shop = session.get(Shop, event["shop_id"])
    if data.get("gateway") != "shopify_payments" or shop is None:
        return
    request_dispute_evidence(
        session,
        shop,
        evidence_id=str(data["gateway_dispute_id"]).rsplit("/", 1)[-1],
        evidence=data["evidence"],
        dedupe_key=f"dispute-evidence:{event['subject_id']}",
    )


HANDLERS: dict[str, Handler] = {
    "dispute.evidence_submitted": _dispute_evidence,
    "order.cancelled": _cancelled,
    "order.refunded": _refunded,
    "order.held": _tagged_for(REVIEW_TAG),
    "verification.required": _tagged_for(VERIFY_TAG),
    "review.released": _released,
    "review.cancelled": _untagged(REVIEW_TAG, "review"),
    "verification.settled": _untagged(VERIFY_TAG, "verification"),
    "customer.disabled": _customer_tag(add=True),
    "customer.enabled": _customer_tag(add=False),
}


def on_event(session: Session, message: OutboxMessage) -> None:
    """Turn one domain event into the Shopify calls it asks for (none for events Shopify ignores)."""
    event = message.payload
    handler = HANDLERS.get(event["name"])
    if handler is not None:
        handler(session, event, message)
