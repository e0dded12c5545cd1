"""Mirroring platform records into storeguard's tables: upsert by platform id, in batches.

This is not staff enforcing policy, so it writes rows directly rather than through the
order actions: Shopify already decided, storeguard records what it decided. Orders, lines,
customers and the payment go in with batched Core statements (the importer's speed comes from
here); refunds and fulfillments, which few orders carry, go through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.customers.models import Customer
from storeguard.integrations.fastwrite import insert_rows
from storeguard.integrations.mapped import (
    MappedCustomer,
    MappedFulfillment,
    MappedOrder,
    MappedRefund,
    MappingError,
)
from storeguard.orders.models import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Order,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.shops.models import Product, Shop

CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lists


@dataclass(slots=True)
class UpsertResult:
    """What one batch did: counts, and storeguard ids by platform id."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (index in batch, reason)
    order_ids: dict[str, int] = field(default_factory=dict)
    created_ids: set[int] = field(default_factory=set)


def _update_by_id(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Update rows by primary key in one executemany (Core: no ORM bookkeeping per row)."""
    if not rows:
        return
    table = model.__table__
    columns = [c for c in rows[0] if c != "id"]
    stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
    session.execute(stmt, [{**{c: r[c] for c in columns}, "_id": r["id"]} for r in rows])


def _insert_returning(
    session: Session, model: Any, shop_id: int, rows: Sequence[dict[str, Any]]
) -> list[tuple[str, int]]:
    """Insert rows at driver speed and return (platform_id, id) for them."""
    insert_rows(session, model.__table__, rows)
    wanted = [r["platform_id"] for r in rows]
    rows_back = session.execute(
        select(model.platform_id, model.id).where(model.shop_id == shop_id, model.platform_id.in_(wanted))
    )
    found = {pid: rid for pid, rid in rows_back}
    return [(pid, found[pid]) for pid in wanted]


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def _newer(incoming: datetime | None, existing: datetime | None, *, overwrite_equal: bool) -> bool:
    """Tell whether a mirrored record should replace the stored one."""
    if incoming is None or existing is None:
        return True
    return incoming > existing or (overwrite_equal and incoming == existing)


def _customer_values(shop_id: int, c: MappedCustomer) -> dict[str, Any]:
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "platform_id": c.platform_id,
        "email": c.email,
        "phone": c.phone,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "locale": c.locale,
        "state": c.state,
        "note": c.note,
        "tags": c.tags,
        "platform_updated_at": c.platform_updated_at,
        "updated_at": now(),
    }
    if c.created_at is not None:
        values["created_at"] = c.created_at
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
        if seen is None or _newer(c.platform_updated_at, seen.platform_updated_at, overwrite_equal=True):
            latest[c.platform_id] = c
    ids: dict[str, int] = {}
    stamps: dict[str, datetime | None] = {}
    for chunk in _chunks(list(latest)):
        rows = session.execute(
            select(Customer.platform_id, Customer.id, Customer.platform_updated_at).where(
                Customer.shop_id == shop.id, Customer.platform_id.in_(chunk)
            )
        )
        for pid, cid, stamp in rows:
            ids[pid] = cid
            stamps[pid] = stamp
    new = [_customer_values(shop.id, c) for pid, c in latest.items() if pid not in ids]
    changed = [
        {"id": ids[pid], **_customer_values(shop.id, c)}
        for pid, c in latest.items()
        if pid in ids and _newer(c.platform_updated_at, stamps[pid], overwrite_equal=overwrite_equal)
    ]
    if new:
        for chunk in _chunks(new):
            ids.update(dict(_insert_returning(session, Customer, shop.id, chunk)))
    _update_by_id(session, Customer, changed)
    skipped = len(latest) - len(new) - len(changed)
    return ids, len(new), len(changed), skipped


def _order_values(shop_id: int, o: MappedOrder, customer_id: int | None, source: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "number": o.number,
        "platform_id": o.platform_id,
        "source": source,
        "currency": o.currency,
        "subtotal": o.subtotal,
        "shipping": o.shipping,
        "tax": o.tax,
        "discount": o.discount,
        "total": o.total,
        "status": o.status,
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "cancel_reason": o.cancel_reason,
        "cancelled_at": o.cancelled_at,
        "closed_at": o.closed_at,
        "email": o.email,
        "phone": o.phone,
        "shipping_address": o.shipping_address,
        "billing_address": o.billing_address,
        "browser_ip": o.browser_ip,
        "payment_fingerprint": o.payment_fingerprint,
        "card_bin": o.card_bin,
        "card_last4": o.card_last4,
        "tags": o.tags,
        "note": o.note,
        "platform_updated_at": o.platform_updated_at,
        "updated_at": now(),
    }
    if o.created_at is not None:
        values["created_at"] = o.created_at
    return values


def _line_values(order_id: int, line: Any, product_id: int | None) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "product_id": product_id,
        "platform_id": line.platform_id,
        "sku": line.sku,
        "title": line.title,
        "variant": line.variant,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "fulfilled_quantity": line.fulfilled_quantity,
        "refunded_quantity": line.refunded_quantity,
        "restocked_quantity": line.restocked_quantity,
    }


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
    for chunk in _chunks([o.platform_id for o in batch]):
        rows = session.execute(
            select(Order.platform_id, Order.id, Order.platform_updated_at, Order.number).where(
                Order.shop_id == shop.id, Order.platform_id.in_(chunk)
            )
        )
        existing.update({pid: (oid, stamp, number) for pid, oid, stamp, number in rows})

    new_orders = [o for o in batch if o.platform_id not in existing]
    # An order number belongs to one order per shop: a second platform order with it is refused.
    numbers_taken: dict[str, str | None] = {}
    for chunk in _chunks([o.number for o in new_orders]):
        rows = session.execute(
            select(Order.number, Order.platform_id).where(Order.shop_id == shop.id, Order.number.in_(chunk))
        )
        numbers_taken.update({k: v for k, v in rows})
    accepted_new: list[MappedOrder] = []
    for o in new_orders:
        if o.number in numbers_taken:
            result.failed.append(
                (index_of[o.platform_id], f"order number {o.number} is already used by another order")
            )
            continue
        numbers_taken[o.number] = o.platform_id
        accepted_new.append(o)

    changed: list[MappedOrder] = []
    for o in batch:
        if o.platform_id not in existing:
            continue
        oid, stamp, number = existing[o.platform_id]
        if not _newer(o.platform_updated_at, stamp, overwrite_equal=overwrite_equal):
            result.skipped += 1
            continue
        changed.append(o)
        result.order_ids[o.platform_id] = oid

    def cid(o: MappedOrder) -> int | None:
        return customer_ids.get(o.customer.platform_id) if o.customer and o.customer.platform_id else None

    if accepted_new:
        for chunk in _chunks([_order_values(shop.id, o, cid(o), source) for o in accepted_new]):
            for pid, oid in _insert_returning(session, Order, shop.id, chunk):
                result.order_ids[pid] = oid
                result.created_ids.add(oid)
        result.created = len(accepted_new)
    if changed:
        _update_by_id(
            session,
            Order,
            [
                {"id": result.order_ids[o.platform_id], **_order_values(shop.id, o, cid(o), source)}
                for o in changed
            ],
        )
        result.updated = len(changed)

    products = _product_ids(session, shop, [*accepted_new, *changed])
    _write_lines(session, result, accepted_new, changed, products)
    _write_payments(session, result, [*accepted_new, *changed])
    for o in [*accepted_new, *changed]:
        if o.refunds or o.fulfillments:
            order_id = result.order_ids[o.platform_id]
            apply_fulfillments(session, order_id, o.fulfillments, recount=False)
            try:
                apply_refunds(session, order_id, o.refunds, recount=False)
            except MappingError as exc:
                result.failed.append((index_of[o.platform_id], str(exc)))
    return result


def _product_ids(session: Session, shop: Shop, orders: Sequence[MappedOrder]) -> dict[str, int]:
    wanted = list({li.product_platform_id for o in orders for li in o.lines if li.product_platform_id})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(Product.platform_id, Product.id).where(
                Product.shop_id == shop.id, Product.platform_id.in_(chunk)
            )
        )
        found.update({k: v for k, v in rows})
    return found


def _write_lines(
    session: Session,
    result: UpsertResult,
    new: Sequence[MappedOrder],
    changed: Sequence[MappedOrder],
    products: dict[str, int],
) -> None:
    inserts: list[dict[str, Any]] = []
    for o in new:
        oid = result.order_ids[o.platform_id]
        inserts.extend(_line_values(oid, li, products.get(li.product_platform_id or "")) for li in o.lines)
    if changed:
        changed_ids = [result.order_ids[o.platform_id] for o in changed]
        known: dict[tuple[int, str | None], int] = {}
        for chunk in _chunks(changed_ids):
            rows = session.execute(
                select(LineItem.order_id, LineItem.platform_id, LineItem.id).where(
                    LineItem.order_id.in_(chunk)
                )
            )
            known.update({(oid, pid): lid for oid, pid, lid in rows})
        updates: list[dict[str, Any]] = []
        for o in changed:
            oid = result.order_ids[o.platform_id]
            for li in o.lines:
                values = _line_values(oid, li, products.get(li.product_platform_id or ""))
                if (oid, li.platform_id) in known and li.platform_id is not None:
                    updates.append({"id": known[(oid, li.platform_id)], **values})
                else:
                    inserts.append(values)
        _update_by_id(session, LineItem, updates)
    for chunk in _chunks(inserts):
        insert_rows(session, LineItem.__table__, chunk)


def _payment_key(order_platform_id: str) -> str:
    return f"payment:{order_platform_id}"


def _write_payments(session: Session, result: UpsertResult, orders: Sequence[MappedOrder]) -> None:
    """Mirror the order's payment as one authorization-or-sale transaction, kept up to date."""
    paid = [o for o in orders if o.payment is not None]
    if not paid:
        return
    keys = {_payment_key(o.platform_id): o for o in paid}
    known: dict[tuple[int, str], int] = {}
    ids = [
        result.order_ids[o.platform_id]
        for o in paid
        if result.order_ids[o.platform_id] not in result.created_ids
    ]
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Transaction.order_id, Transaction.platform_id, Transaction.id).where(
                Transaction.order_id.in_(chunk), Transaction.platform_id.like("payment:%")
            )
        )
        known.update({(oid, pid): tid for oid, pid, tid in rows})
    inserts, updates = [], []
    for key, o in keys.items():
        assert o.payment is not None
        oid = result.order_ids[o.platform_id]
        values = {
            "order_id": oid,
            "platform_id": key,
            "kind": o.payment.kind,
            "amount": o.payment.amount,
            "currency": o.currency,
            "gateway": o.payment.gateway,
            "status": "success",
        }
        if (oid, key) in known:
            updates.append({"id": known[(oid, key)], **values})
        else:
            inserts.append({**values, "created_at": o.created_at or now()})
    for chunk in _chunks(inserts):
        insert_rows(session, Transaction.__table__, chunk)
    _update_by_id(session, Transaction, updates)


def _add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


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
    settings = get_settings()
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
        refund = Refund(
            order_id=order_id,
            platform_id=r.platform_id,
            amount=r.amount,
            shipping_amount=r.shipping_amount,
            currency=r.currency,
            reason=r.reason,
            note=r.note,
            actor="platform:shopify",
            expected_arrival_from=_add_business_days(made, settings.refund_arrival_min_business_days),
            expected_arrival_to=_add_business_days(made, settings.refund_arrival_max_business_days),
            created_at=r.created_at or now(),
            lines=[
                RefundLine(
                    line_item_id=line_ids[rl.line_platform_id],
                    quantity=rl.quantity,
                    amount=rl.amount,
                    restock=rl.restock,
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


def find_order(session: Session, shop_id: int, order_platform_id: str) -> Order | None:
    """Return a shop's order by its platform id."""
    return session.scalar(
        select(Order).where(Order.shop_id == shop_id, Order.platform_id == order_platform_id)
    )
