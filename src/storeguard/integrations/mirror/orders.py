"""Mirroring platform records into storeguard's tables: upsert by platform id, in batches.

This is not staff enforcing policy, so it writes rows directly rather than through the
order actions: Shopify already decided, storeguard records what it decided. New rows go in at
driver speed (``fastwrite``: COPY on PostgreSQL), built as tuples straight from the mapped
shapes (the importer's speed comes from here); a changed order's refunds and fulfillments, and
anything unusual, go through the ORM with its checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storeguard.core.bulk_insert import insert_with_ids, matches_any
from storeguard.core.clock import now
from storeguard.customers.models import Customer
from storeguard.integrations.mirror import order_details as children
from storeguard.integrations.mirror.insert_values import (
    CUSTOMER_COLUMNS,
    CUSTOMER_INSERT,
    ORDER_COLUMNS,
    ORDER_INSERT,
    REFUND_ACTOR,
    customer_row,
    order_row,
)
from storeguard.integrations.mirror.order_details import update_by_id as _update_by_id
from storeguard.integrations.mirror.shapes import (
    MappedCustomer,
    MappedFulfillment,
    MappedOrder,
    MappedRefund,
    MappedTransaction,
    MappingError,
)
from storeguard.orders.enums import TransactionKind
from storeguard.orders.models import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Order,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.screening.profiles import history_written
from storeguard.shops.models import Product, Shop


@dataclass(slots=True)
class UpsertResult:
    """What one batch did: counts, and storeguard ids by platform id."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (index in batch, reason)
    order_ids: dict[str, int] = field(default_factory=dict)
    created_ids: set[int] = field(default_factory=set)


def _insert_returning(
    session: Session, model: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[str, int]]:
    """Insert rows at driver speed and return (platform_id, id) for them."""
    ids = insert_with_ids(session, model.__table__, columns, rows)
    at = list(columns).index("platform_id")
    return [(r[at], rid) for r, rid in zip(rows, ids, strict=True)]


def is_newer(incoming: datetime | None, existing: datetime | None, *, overwrite_equal: bool) -> bool:
    """Tell whether a mirrored record should replace the stored one."""
    if incoming is None or existing is None:
        return True
    return incoming > existing or (overwrite_equal and incoming == existing)


def _customer_update(cid: int, shop_id: int, c: MappedCustomer, stamp: datetime) -> dict[str, Any]:
    values = dict(zip(CUSTOMER_COLUMNS, customer_row(shop_id, c, stamp), strict=True))
    if c.created_at is not None:
        values["created_at"] = c.created_at
    values["id"] = cid
    return values


def upsert_customers(
    session: Session, shop: Shop, customers: Sequence[MappedCustomer], *, overwrite_equal: bool = False
) -> tuple[dict[str, int], int, int, int]:
    """Upsert customers by platform id; return (ids by platform id, created, updated, skipped)."""
    latest: dict[str, MappedCustomer] = {}
    for c in customers:
        if c.platform_id is None:
            continue
        seen = latest.get(c.platform_id)
        if seen is None or is_newer(c.platform_updated_at, seen.platform_updated_at, overwrite_equal=True):
            latest[c.platform_id] = c
    ids: dict[str, int] = {}
    stamps: dict[str, datetime | None] = {}
    if latest:
        rows = session.execute(
            select(Customer.platform_id, Customer.id, Customer.platform_updated_at).where(
                Customer.shop_id == shop.id, matches_any(session, Customer.platform_id, list(latest))
            )
        )
        for pid, cid, stamp in rows:
            ids[pid] = cid
            stamps[pid] = stamp
    stamp = now()
    new = [
        (*customer_row(shop.id, c, stamp), c.created_at or stamp)
        for pid, c in latest.items()
        if pid not in ids
    ]
    changed = [
        _customer_update(ids[pid], shop.id, c, stamp)
        for pid, c in latest.items()
        if pid in ids and is_newer(c.platform_updated_at, stamps[pid], overwrite_equal=overwrite_equal)
    ]
    if new:
        ids.update(_insert_returning(session, Customer, CUSTOMER_INSERT, new))
    _update_by_id(session, Customer, changed)
    skipped = len(latest) - len(new) - len(changed)
    return ids, len(new), len(changed), skipped


def upsert_orders(
    session: Session,
    shop: Shop,
    orders: Sequence[MappedOrder],
    *,
    source: str = "shopify",
    overwrite_equal: bool = False,
) -> UpsertResult:
    """Upsert a batch of orders with their customers, lines and payment; never commits.

    An order whose stored platform version is newer is skipped (webhooks arrive out of order);
    with ``overwrite_equal`` the same version is applied again (a webhook of another topic).
    """
    result = UpsertResult()
    # The last occurrence of an order in the batch wins; earlier ones are skipped.
    position: dict[str, int] = {}
    for i, o in enumerate(orders):
        if o.platform_id in position:
            result.skipped += 1
        position[o.platform_id] = i
    batch = [orders[i] for i in sorted(position.values())]
    index_of = {o.platform_id: position[o.platform_id] for o in batch}

    customer_ids, *_ = upsert_customers(session, shop, [o.customer for o in batch if o.customer is not None])

    existing: dict[str, tuple[int, datetime | None, str]] = {}
    customer_before: dict[str, int | None] = {}  # an updated order may move to another customer
    if batch:
        rows = session.execute(
            select(
                Order.platform_id, Order.id, Order.platform_updated_at, Order.number, Order.customer_id
            ).where(
                Order.shop_id == shop.id,
                matches_any(session, Order.platform_id, [o.platform_id for o in batch]),
            )
        )
        for pid, oid, stamp, number, before in rows:
            existing[pid] = (oid, stamp, number)
            customer_before[pid] = before

    new_orders = [o for o in batch if o.platform_id not in existing]
    # Orders are the platform's by id; a name used before is kept and flagged, never refused.
    numbers_taken: dict[str, str | None] = {}
    if new_orders:
        rows = session.execute(
            select(Order.number, Order.platform_id).where(
                Order.shop_id == shop.id, matches_any(session, Order.number, [o.number for o in new_orders])
            )
        )
        numbers_taken.update({k: v for k, v in rows})
    accepted_new: list[MappedOrder] = []
    repeated: list[str] = []
    for o in new_orders:
        if o.number in numbers_taken:
            repeated.append(o.platform_id)
        numbers_taken[o.number] = o.platform_id
        accepted_new.append(o)

    changed: list[MappedOrder] = []
    for o in batch:
        if o.platform_id not in existing:
            continue
        oid, stamp, number = existing[o.platform_id]
        if not is_newer(o.platform_updated_at, stamp, overwrite_equal=overwrite_equal):
            result.skipped += 1
            continue
        changed.append(o)
        result.order_ids[o.platform_id] = oid

    def cid(o: MappedOrder) -> int | None:
        c = o.customer
        return customer_ids.get(c.platform_id) if c is not None and c.platform_id else None

    stamp = now()
    if accepted_new:
        rows = [
            (*order_row(shop.id, o, cid(o), source, stamp), o.created_at or stamp, False)
            for o in accepted_new
        ]
        for pid, oid in _insert_returning(session, Order, ORDER_INSERT, rows):
            result.order_ids[pid] = oid
            result.created_ids.add(oid)
        result.created = len(accepted_new)
        if repeated:
            session.execute(
                update(Order)
                .where(Order.id.in_([result.order_ids[pid] for pid in repeated]))
                .values(number_repeated=True)
                .execution_options(synchronize_session=False)
            )
    if changed:
        updates = []
        for o in changed:
            values = dict(zip(ORDER_COLUMNS, order_row(shop.id, o, cid(o), source, stamp), strict=True))
            if o.created_at is not None:
                values["created_at"] = o.created_at
            values["id"] = result.order_ids[o.platform_id]
            updates.append(values)
        _update_by_id(session, Order, updates)
        result.updated = len(changed)

    products = _product_ids(session, shop, [*accepted_new, *changed])
    new_ids = [result.order_ids[o.platform_id] for o in accepted_new]
    changed_ids = [result.order_ids[o.platform_id] for o in changed]
    line_ids = children.write_lines(session, accepted_new, new_ids, changed, changed_ids, products)
    children.write_payments(session, accepted_new, new_ids, changed, changed_ids, stamp)
    # New orders' shipments and refunds go in batched too; anything unusual (a repeated id, a
    # refund of a line the order lacks) and every changed order take the careful path below.
    careful = children.write_new_shipments_and_refunds(session, accepted_new, new_ids, line_ids, stamp)
    for o in [*careful, *changed]:
        if o.refunds or o.fulfillments:
            order_id = result.order_ids[o.platform_id]
            apply_fulfillments(session, order_id, o.fulfillments, recount=False)
            try:
                apply_refunds(session, order_id, o.refunds, recount=False)
            except MappingError as exc:
                result.failed.append((index_of[o.platform_id], str(exc)))
    # The rows above went in without the ORM's flush listener: the customers they touched are
    # marked for risk and their profiles rebuilt here, one statement each per batch.
    touched = {cid(o) for o in [*accepted_new, *changed]} | {customer_before[o.platform_id] for o in changed}
    history_written(session, shop.id, (c for c in touched if c is not None))
    return result


def _product_ids(session: Session, shop: Shop, orders: Sequence[MappedOrder]) -> dict[str, int]:
    wanted = list({li.product_platform_id for o in orders for li in o.lines if li.product_platform_id})
    found: dict[str, int] = {}
    if wanted:
        rows = session.execute(
            select(Product.platform_id, Product.id).where(
                Product.shop_id == shop.id, matches_any(session, Product.platform_id, wanted)
            )
        )
        found.update({k: v for k, v in rows})
    return found


def _line_ids(session: Session, order_id: int) -> dict[str, int]:
    rows = session.execute(select(LineItem.platform_id, LineItem.id).where(LineItem.order_id == order_id))
    return {pid: lid for pid, lid in rows if pid is not None}


def apply_refunds(
    session: Session, order_id: int, refunds: Sequence[MappedRefund], *, recount: bool = True
) -> int:
    """Record refunds the platform made (once each, by platform id); return how many were new."""
    if not refunds:
        return 0
    known = set(session.scalars(select(Refund.platform_id).where(Refund.order_id == order_id)))
    line_ids = _line_ids(session, order_id)
    added = 0
    for r in refunds:
        if r.platform_id in known:
            continue  # platform refunds never change once made
        missing = [rl.line_platform_id for rl in r.lines if rl.line_platform_id not in line_ids]
        if missing:
            raise MappingError(
                f"refund {r.platform_id} names line items {missing} that the order does not have"
            )
        made = (r.created_at or now()).date()
        arrive_from, arrive_to = children.refund_arrival(made)
        refund = Refund(
            order_id=order_id,
            platform_id=r.platform_id,
            amount=r.amount,
            shipping_amount=r.shipping_amount,
            currency=r.currency,
            reason=r.reason,
            note=r.note,
            actor=REFUND_ACTOR,
            expected_arrival_from=arrive_from,
            expected_arrival_to=arrive_to,
            created_at=r.created_at or now(),
            lines=[
                RefundLine(
                    line_item_id=line_ids[rl.line_platform_id],
                    quantity=rl.quantity,
                    amount=rl.amount,
                    restock=rl.restock,
                    returned=rl.returned,
                )
                for rl in r.lines
            ],
        )
        session.add(refund)
        session.flush()
        for tx in r.transactions:
            session.add(
                Transaction(
                    order_id=order_id,
                    refund_id=refund.id,
                    platform_id=tx.platform_id,
                    kind="refund",
                    status=tx.status if tx.status in {"success", "failure", "pending"} else "pending",
                    gateway=tx.gateway,
                    gateway_reference=tx.reference,
                    amount=tx.amount,
                    currency=r.currency,
                    created_at=tx.created_at or now(),
                )
            )
        known.add(r.platform_id)
        added += 1
    session.flush()
    if recount and added:
        recount_lines(session, order_id)
    return added


def apply_fulfillments(
    session: Session, order_id: int, fulfillments: Sequence[MappedFulfillment], *, recount: bool = True
) -> int:
    """Create or update fulfillments by platform id; return how many changed."""
    if not fulfillments:
        return 0
    rows = session.scalars(select(Fulfillment).where(Fulfillment.order_id == order_id))
    known = {f.platform_id: f for f in rows}
    line_ids = _line_ids(session, order_id)
    changed = 0
    for f in fulfillments:
        row = known.get(f.platform_id)
        if row is None:
            row = Fulfillment(
                order_id=order_id,
                platform_id=f.platform_id,
                created_at=f.created_at or now(),
                lines=[
                    FulfillmentLine(line_item_id=line_ids[pid], quantity=q)
                    for pid, q in f.lines
                    if pid in line_ids
                ],
            )
            session.add(row)
            known[f.platform_id] = row
        row.state = f.state
        row.carrier, row.tracking_number, row.tracking_url = f.carrier, f.tracking_number, f.tracking_url
        if f.state == "delivered" and row.delivered_at is None:
            row.delivered_at = f.delivered_at or now()
        if f.state == "cancelled" and row.cancelled_at is None:
            row.cancelled_at = now()
        changed += 1
    session.flush()
    if recount:
        recount_lines(session, order_id)
    return changed


def recount_lines(session: Session, order_id: int) -> None:
    """Set each line's fulfilled, refunded and restocked quantities from the stored records."""
    lines = list(session.scalars(select(LineItem).where(LineItem.order_id == order_id)))
    refunded: dict[int, int] = {}
    restocked: dict[int, int] = {}
    for line_id, quantity, restock in session.execute(
        select(RefundLine.line_item_id, RefundLine.quantity, RefundLine.restock)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.order_id == order_id)
    ):
        refunded[line_id] = refunded.get(line_id, 0) + quantity
        if restock:
            restocked[line_id] = restocked.get(line_id, 0) + quantity
    fulfilled: dict[int, int] = {}
    for line_id, quantity in session.execute(
        select(FulfillmentLine.line_item_id, FulfillmentLine.quantity)
        .join(Fulfillment, Fulfillment.id == FulfillmentLine.fulfillment_id)
        .where(Fulfillment.order_id == order_id, Fulfillment.state != "cancelled")
    ):
        fulfilled[line_id] = fulfilled.get(line_id, 0) + quantity
    for line in lines:
        line.refunded_quantity = refunded.get(line.id, 0)
        line.restocked_quantity = restocked.get(line.id, 0)
        line.fulfilled_quantity = fulfilled.get(line.id, 0)
    session.flush()


def record_payment_transaction(session: Session, order_id: int, t: MappedTransaction) -> bool:
    """Apply a reported transaction to the order's mirrored payment; return whether it changed it.

    The mirror keeps an order's payment as one transaction, its amounts as the order reports
    them. A transaction adds what only it carries: the gateway and its authorization reference
    (how a later dispute finds its order), and a capture turns an authorization into money taken.
    A refund's transaction comes with its refund, and a failed one moved no money: neither
    changes anything here, and a repeated delivery changes nothing more.
    """
    if t.status != "success" or t.kind not in {"authorization", "sale", "capture"}:
        return False
    payment = session.scalar(
        select(Transaction)
        .where(Transaction.order_id == order_id, Transaction.platform_id.like("payment:%"))
        .with_for_update(key_share=True)
    )
    if payment is None:
        return False
    before = (payment.gateway, payment.gateway_reference, payment.kind)
    payment.gateway = t.gateway
    payment.gateway_reference = t.reference or payment.gateway_reference
    if t.kind in {"sale", "capture"}:
        payment.kind = TransactionKind.sale
    session.flush()
    return before != (payment.gateway, payment.gateway_reference, payment.kind)


def find_order(session: Session, shop_id: int, order_platform_id: str) -> Order | None:
    """Return a shop's order by its platform id."""
    return session.scalar(
        select(Order).where(Order.shop_id == shop_id, Order.platform_id == order_platform_id)
    )
