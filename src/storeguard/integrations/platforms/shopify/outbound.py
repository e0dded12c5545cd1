"""Actions storeguard decided, sent to Shopify's Admin GraphQL API through the outbox.

Other domains call the ``request_*`` functions inside the transaction that records their
decision; each writes one outbox message with a dedupe key, so one decision is one call even
when the decision is reached twice. ``send`` runs in the worker after the commit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.models import OutboxMessage
from storeguard.core.money import to_decimal_str
from storeguard.core.outbox import GiveUp, RetryLater, enqueue
from storeguard.customers.models import Customer
from storeguard.integrations.enums import SecretName, SecretScope
from storeguard.integrations.secrets import get_secret
from storeguard.orders.models import LineItem, Order, Refund
from storeguard.shops.models import Shop
from storeguard.shops.service import get_shop

KIND = "shopify"
API_VERSION = "2025-01"
CANCEL_REASONS = {
    "customer": "CUSTOMER",
    "fraud": "FRAUD",
    "inventory": "INVENTORY",
    "declined": "DECLINED",
    "other": "OTHER",
    "staff": "STAFF",
}
RISK_LEVELS = {"high": "HIGH", "medium": "MEDIUM", "low": "LOW", "none": "NONE"}
DISABLED_TAG = "storeguard-disabled"
# On a Shopify order while storeguard holds it for a person, or waits for the customer to verify;
# a Shopify Flow or fulfilment rule can act on them. Removed when a reviewer approves or cancels.
REVIEW_TAG = "storeguard-review"
VERIFY_TAG = "storeguard-verify"

MUTATIONS: dict[str, str] = {
    "orderCancel": (
        "mutation orderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!, $restock: Boolean!,"
        " $notifyCustomer: Boolean, $staffNote: String) { orderCancel(orderId: $orderId, reason: $reason,"
        " refund: $refund, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote)"
        " { job { id done } orderCancelUserErrors { field message code } } }"
    ),
    "refundCreate": (
        "mutation refundCreate($input: RefundInput!) { refundCreate(input: $input)"
        " { refund { id } userErrors { field message } } }"
    ),
    "tagsAdd": (
        "mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags)"
        " { node { id } userErrors { field message } } }"
    ),
    "tagsRemove": (
        "mutation tagsRemove($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags)"
        " { node { id } userErrors { field message } } }"
    ),
    "orderRiskAssessmentCreate": (
        "mutation orderRiskAssessmentCreate($orderRiskAssessmentInput: OrderRiskAssessmentCreateInput!)"
        " { orderRiskAssessmentCreate(orderRiskAssessmentInput: $orderRiskAssessmentInput)"
        " { orderRiskAssessment { riskLevel } userErrors { field message } } }"
    ),
    "disputeEvidenceUpdate": (
        "mutation disputeEvidenceUpdate($id: ID!, $input: ShopifyPaymentsDisputeEvidenceUpdateInput!)"
        " { disputeEvidenceUpdate(id: $id, input: $input)"
        " { disputeEvidence { id } userErrors { field message code } } }"
    ),
    "orderUpdate": (
        "mutation orderUpdate($input: OrderInput!) { orderUpdate(input: $input)"
        " { order { id } userErrors { field message } } }"
    ),
}
USER_ERRORS = {"orderCancel": "orderCancelUserErrors"}


def gid(kind: str, platform_id: str) -> str:
    """Return Shopify's global id for a resource."""
    return f"gid://shopify/{kind}/{platform_id}"


def _connected(session: Session, shop: Shop) -> bool:
    if shop.platform != "shopify":
        return False
    token = get_secret(session, scope=SecretScope.shop, owner=shop.domain, name=SecretName.access_token)
    return token is not None


def enqueue_mutation(
    session: Session, shop: Shop, mutation: str, variables: dict[str, Any], *, dedupe_key: str
) -> OutboxMessage | None:
    """Queue one Admin API mutation for a connected Shopify shop; None when the shop is not one."""
    if mutation not in MUTATIONS:
        raise ValueError(f"unknown Shopify mutation {mutation}")
    if not _connected(session, shop):
        return None
    return enqueue(
        session,
        KIND,
        {"shop": shop.domain, "mutation": mutation, "variables": variables},
        dedupe_key=f"shopify:{shop.domain}:{dedupe_key}",
    )


def _shop(session: Session, shop_id: int) -> Shop:
    return get_shop(session, shop_id)


def request_order_cancel(
    session: Session,
    order: Order,
    *,
    reason: str,
    refund: bool,
    restock: bool,
    notify: bool,
    staff_note: str | None = None,
) -> OutboxMessage | None:
    """Ask Shopify to cancel a mirrored order, once per order."""
    if not order.platform_id:
        return None
    variables = {
        "orderId": gid("Order", order.platform_id),
        "reason": CANCEL_REASONS.get(str(reason), "OTHER"),
        "refund": refund,
        "restock": restock,
        "notifyCustomer": notify,
        "staffNote": staff_note,
    }
    return enqueue_mutation(
        session,
        _shop(session, order.shop_id),
        "orderCancel",
        variables,
        dedupe_key=f"orderCancel:{order.platform_id}",
    )


def request_refund(session: Session, order: Order, refund: Refund, *, notify: bool) -> OutboxMessage | None:
    """Ask Shopify to refund what storeguard refunded (lines with restock, shipping), once per refund."""
    if not order.platform_id:
        return None
    lines = {li.id: li for li in session.scalars(select(LineItem).where(LineItem.order_id == order.id))}
    refund_lines = []
    for rl in refund.lines:
        line = lines.get(rl.line_item_id)
        if line is None or not line.platform_id:
            continue
        refund_lines.append(
            {
                "lineItemId": gid("LineItem", line.platform_id),
                "quantity": rl.quantity,
                "restockType": "RETURN" if rl.restock else "NO_RESTOCK",
            }
        )
    variables: dict[str, Any] = {
        "input": {
            "orderId": gid("Order", order.platform_id),
            "notify": notify,
            "note": refund.note,
            "refundLineItems": refund_lines,
        }
    }
    if refund.shipping_amount:
        variables["input"]["shipping"] = {"amount": to_decimal_str(refund.shipping_amount, order.currency)}
    return enqueue_mutation(
        session,
        _shop(session, order.shop_id),
        "refundCreate",
        variables,
        dedupe_key=f"refundCreate:{refund.id}",
    )


def _request_tag_change(
    session: Session, mutation: str, subject: Order | Customer, tags: Sequence[str], dedupe_key: str
) -> OutboxMessage | None:
    if not subject.platform_id or not tags:
        return None
    kind = "Order" if isinstance(subject, Order) else "Customer"
    return enqueue_mutation(
        session,
        _shop(session, subject.shop_id),
        mutation,
        {"id": gid(kind, subject.platform_id), "tags": list(tags)},
        dedupe_key=dedupe_key,
    )


def request_tags(
    session: Session, subject: Order | Customer, tags: Sequence[str], *, dedupe_key: str
) -> OutboxMessage | None:
    """Ask Shopify to add tags to an order or a customer."""
    return _request_tag_change(session, "tagsAdd", subject, tags, dedupe_key)


def request_tags_removed(
    session: Session, subject: Order | Customer, tags: Sequence[str], *, dedupe_key: str
) -> OutboxMessage | None:
    """Ask Shopify to remove tags from an order or a customer (removing an absent tag is no error)."""
    return _request_tag_change(session, "tagsRemove", subject, tags, dedupe_key)


def request_staff_note(session: Session, order: Order, note: str, *, dedupe_key: str) -> OutboxMessage | None:
    """Ask Shopify to set the order's staff note."""
    if not order.platform_id:
        return None
    return enqueue_mutation(
        session,
        _shop(session, order.shop_id),
        "orderUpdate",
        {"input": {"id": gid("Order", order.platform_id), "note": note}},
        dedupe_key=dedupe_key,
    )


def request_risk_assessment(
    session: Session, order: Order, *, level: str, facts: Sequence[tuple[str, str]], dedupe_key: str
) -> OutboxMessage | None:
    """Ask Shopify to show storeguard's risk assessment (level, facts with sentiment) on the order."""
    if not order.platform_id:
        return None
    variables = {
        "orderRiskAssessmentInput": {
            "orderId": gid("Order", order.platform_id),
            "riskLevel": RISK_LEVELS.get(level, "NONE"),
            "facts": [
                {"description": text[:256], "sentiment": sentiment.upper()} for text, sentiment in facts[:20]
            ],
        }
    }
    return enqueue_mutation(
        session, _shop(session, order.shop_id), "orderRiskAssessmentCreate", variables, dedupe_key=dedupe_key
    )


def request_customer_disable(
    session: Session, customer: Customer, *, dedupe_key: str
) -> OutboxMessage | None:
    """Mark a customer as disabled in Shopify.

    Shopify's Admin API cannot disable a classic customer account (its state is read-only), so
    storeguard tags the customer; a Shopify Flow or checkout rule acts on the tag.
    """
    return request_tags(session, customer, [DISABLED_TAG], dedupe_key=dedupe_key)


def request_dispute_evidence(
    session: Session, shop: Shop, *, evidence_id: str, evidence: dict[str, Any], dedupe_key: str
) -> OutboxMessage | None:
    """Send a Shopify Payments dispute's evidence and submit it (``submitEvidence``), once."""
    variables = {
        "id": gid("ShopifyPaymentsDisputeEvidence", evidence_id),
        "input": {**evidence, "submitEvidence": True},
    }
    return enqueue_mutation(session, shop, "disputeEvidenceUpdate", variables, dedupe_key=dedupe_key)


def _throttle_delay(body: dict[str, Any]) -> timedelta:
    cost = ((body.get("extensions") or {}).get("cost")) or {}
    status = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 10)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50) or 50
    return timedelta(seconds=max(1, math.ceil((needed - available) / rate)))


Transport = Callable[[str, dict[str, str], bytes], httpx.Response]


def _post(url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(url, headers=headers, content=body, timeout=20)


def send(session: Session, message: OutboxMessage, transport: Transport = _post) -> None:
    """Send one queued mutation; raise RetryLater when throttled, GiveUp when Shopify refuses it."""
    payload = message.payload
    shop = session.scalar(select(Shop).where(Shop.domain == payload["shop"]))
    if shop is None:
        raise GiveUp(f"shop {payload['shop']} no longer exists")
    token = get_secret(session, scope=SecretScope.shop, owner=shop.domain, name=SecretName.access_token)
    if token is None:
        raise GiveUp(f"no Admin API access token for {shop.domain}")
    base = (shop.settings or {}).get("shopify_api_base_url") or f"https://{shop.domain}"
    mutation = payload["mutation"]
    body = json.dumps({"query": MUTATIONS[mutation], "variables": payload["variables"]}).encode()
    response = transport(
        f"{base}/admin/api/{API_VERSION}/graphql.json",
        {
            "X-Shopify-Access-Token": token.current,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        body,
    )
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After", "2")
        delay = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 2.0
        raise RetryLater("Shopify answered 429 Too Many Requests", timedelta(seconds=max(1.0, delay)))
    if response.status_code >= 500:
        raise RuntimeError(f"Shopify answered {response.status_code}")
    if response.status_code in {401, 403, 404}:
        raise GiveUp(f"Shopify refused the call with {response.status_code}: {response.text[:300]}")
    response.raise_for_status()
    data = response.json()
    errors = data.get("errors") or []
    if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
        raise RetryLater("Shopify throttled the call", _throttle_delay(data))
    if errors:
        raise GiveUp(f"GraphQL errors: {json.dumps(errors)[:500]}")
    result = (data.get("data") or {}).get(mutation) or {}
    user_errors = result.get(USER_ERRORS.get(mutation, "userErrors")) or []
    if user_errors:
        raise GiveUp(f"{mutation} refused: {json.dumps(user_errors)[:500]}")
    message.payload = {**payload, "result": result}


def senders(session: Session, transport: Transport = _post) -> dict[str, Callable[[OutboxMessage], None]]:
    """Return the outbox senders this package provides, bound to ``session``."""
    return {KIND: lambda message: send(session, message, transport)}
