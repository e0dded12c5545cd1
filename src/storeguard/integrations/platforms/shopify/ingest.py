"""Processing a stored Shopify delivery, by topic, into storeguard's records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.disputes.actions import record_dispute_report
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.mirror import after_ingest as hooks
from storeguard.integrations.mirror.catalogue import archive_product, mirror_products
from storeguard.integrations.mirror.orders import (
    apply_fulfillments,
    apply_refunds,
    find_order,
    record_payment_transaction,
    upsert_customers,
    upsert_orders,
)
from storeguard.integrations.mirror.returns import mirror_return
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.common import NotReady, parse_body
from storeguard.integrations.platforms.shopify.mapping import (
    map_customer,
    map_dispute,
    map_fulfillment,
    map_order,
    map_refund,
    map_transaction,
    platform_id,
)
from storeguard.integrations.platforms.shopify.products import map_product
from storeguard.integrations.platforms.shopify.returns import map_return
from storeguard.orders.models import Order
from storeguard.shops.models import Shop

ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}
)
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
DISPUTE_TOPICS = frozenset({"disputes/create", "disputes/update"})
TRANSACTION_TOPIC = "order_transactions/create"
PRODUCT_TOPICS = frozenset({"products/create", "products/update"})
PRODUCT_DELETE_TOPIC = "products/delete"
# Each returns topic and the stage of the return it reports (see ``mirror.returns``).
RETURN_TOPICS: dict[str, str] = {
    "returns/request": "requested",
    "returns/approve": "authorized",
    "returns/decline": "declined",
    "returns/close": "closed",
}
TOPICS = (
    ORDER_TOPICS
    | FULFILLMENT_TOPICS
    | CUSTOMER_TOPICS
    | DISPUTE_TOPICS
    | PRODUCT_TOPICS
    | RETURN_TOPICS.keys()
    | {"refunds/create", TRANSACTION_TOPIC, PRODUCT_DELETE_TOPIC}
)


def ingest_order(session: Session, shop: Shop, payload: dict[str, Any]) -> tuple[Order, bool]:
    """Mirror one Shopify order; return it and whether it was new to storeguard."""
    mapped = map_order(payload)
    result = upsert_orders(session, shop, [mapped], source="shopify", overwrite_equal=True)
    if result.failed:
        raise MappingError(result.failed[0][1])
    order = find_order(session, shop.id, mapped.platform_id)
    if order is None:  # a stale version of an order we never stored cannot happen; be explicit
        raise MappingError(f"order {mapped.platform_id} could not be stored")
    session.refresh(order)
    created = order.id in result.created_ids
    return order, created


def _require_order(session: Session, shop: Shop, order_platform_id: str, what: str) -> Order:
    order = find_order(session, shop.id, order_platform_id)
    if order is None:
        # Shopify does not promise order of delivery: the order webhook may still be on its way.
        raise NotReady(f"{what} for order {order_platform_id}, which storeguard has not received yet")
    return order


def handle(session: Session, delivery: WebhookDelivery) -> DeliveryStatus:
    """Apply one Shopify delivery; unknown topics are kept and ignored."""
    if delivery.topic not in TOPICS:
        return DeliveryStatus.ignored
    shop = session.get(Shop, delivery.shop_id) if delivery.shop_id else None
    if shop is None:
        raise MappingError("the delivery has no shop")
    payload = parse_body(delivery.body)
    topic = delivery.topic
    if topic in ORDER_TOPICS:
        order, created = ingest_order(session, shop, payload)
        hooks.after_order_ingested(session, order, created=created)
        return DeliveryStatus.processed
    if topic == "refunds/create":
        order = _require_order(
            session, shop, platform_id(payload.get("order_id"), "refund order_id"), "a refund"
        )
        apply_refunds(session, order.id, [map_refund(payload, order.currency)])
        return DeliveryStatus.processed
    if topic in FULFILLMENT_TOPICS:
        fulfillment = map_fulfillment(payload)
        order = _require_order(session, shop, fulfillment.order_platform_id, "a fulfillment")
        apply_fulfillments(session, order.id, [fulfillment])
        return DeliveryStatus.processed
    if topic in CUSTOMER_TOPICS:
        upsert_customers(session, shop, [map_customer(payload)], overwrite_equal=True)
        return DeliveryStatus.processed
    if topic in PRODUCT_TOPICS:
        mirror_products(session, shop, map_product(payload, shop.currency), actor=hooks.SHOPIFY_WEBHOOK)
        return DeliveryStatus.processed
    if topic == PRODUCT_DELETE_TOPIC:
        archive_product(
            session, shop, platform_id(payload.get("id"), "product id"), actor=hooks.SHOPIFY_WEBHOOK
        )
        return DeliveryStatus.processed
    if topic in RETURN_TOPICS:
        mapped_return = map_return(payload)
        order = _require_order(session, shop, mapped_return.order_platform_id, "a return")
        mirror_return(session, order, mapped_return, RETURN_TOPICS[topic], actor=hooks.SHOPIFY_WEBHOOK)
        return DeliveryStatus.processed
    if topic == TRANSACTION_TOPIC:
        order = _require_order(
            session, shop, platform_id(payload.get("order_id"), "transaction order_id"), "a transaction"
        )
        record_payment_transaction(session, order.id, map_transaction(payload, order.currency))
        return DeliveryStatus.processed
    mapped = map_dispute(payload)
    order = find_order(session, shop.id, mapped.order_platform_id) if mapped.order_platform_id else None
    record_dispute_report(
        session,
        mapped,
        actor=hooks.SHOPIFY_WEBHOOK,
        event=f"shopify:{topic}",
        event_id=delivery.delivery_id,
        occurred_at=delivery.received_at,
        order_id=order.id if order is not None else None,
        payload=payload,
    )
    return DeliveryStatus.processed
