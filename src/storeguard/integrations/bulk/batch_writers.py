"""Writers that put mapped orders and customers into storeguard in batches."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.integrations.bulk.runs import BatchOutcome, Item
from storeguard.integrations.mirror.orders import apply_refunds, find_order, upsert_customers, upsert_orders
from storeguard.integrations.mirror.shapes import MappedCustomer, MappedOrder, MappingError
from storeguard.shops.models import Shop


def write_orders(session: Session, shop: Shop, items: list[Item], *, source: str = "import") -> BatchOutcome:
    """Upsert a batch of mapped orders; failures come back with their row numbers."""
    orders: list[MappedOrder] = []
    rows: list[int] = []
    failed: list[tuple[int, str]] = []
    for item in items:
        orders.append(item.value)
        rows.append(item.row)
    result = upsert_orders(session, shop, orders, source=source)
    failed.extend((rows[i], reason) for i, reason in result.failed)
    return BatchOutcome(result.created, result.updated, result.skipped, failed)


def write_customers(session: Session, shop: Shop, items: list[Item]) -> BatchOutcome:
    """Upsert a batch of mapped customers by platform id."""
    customers: list[MappedCustomer] = [i.value for i in items]
    _, created, updated, skipped = upsert_customers(session, shop, customers)
    duplicates = len(customers) - len({c.platform_id for c in customers})
    return BatchOutcome(created, updated, skipped + duplicates, [])


def write_refunds(session: Session, shop: Shop, items: list[Item]) -> BatchOutcome:
    """Record a batch of refunds on their orders, once each by refund id."""
    created = skipped = 0
    failed: list[tuple[int, str]] = []
    for item in items:
        refund = item.value
        order = find_order(session, shop.id, refund.order_platform_id)
        if order is None:
            failed.append((item.row, f"order {refund.order_platform_id} is not in storeguard"))
            continue
        try:
            with session.begin_nested():
                added = apply_refunds(session, order.id, [refund])
        except MappingError as exc:
            failed.append((item.row, str(exc)))
            continue
        created += added
        skipped += 1 - added
    return BatchOutcome(created, 0, skipped, failed)
