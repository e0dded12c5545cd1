"""Writing a batch of mirrored orders' lines, payments, shipments and refunds at driver speed.

Used by ``store.upsert_orders`` (webhooks and bulk imports alike). New orders' child rows go in
with one driver call per table (COPY on PostgreSQL); their generated ids are read back by
order and platform id. Changed orders' lines and payments are matched to the stored ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storeguard.core.bulk_insert import insert_tuples, insert_with_ids, matches_any
from storeguard.core.config import get_settings
from storeguard.integrations.mirror.insert_values import (
    FULFILLMENT_INSERT,
    FULFILLMENT_LINE_INSERT,
    LINE_COLUMNS,
    PAYMENT_COLUMNS,
    REFUND_INSERT,
    REFUND_LINE_INSERT,
    TRANSACTION_INSERT,
    fulfillment_row,
    line_row,
    payment_row,
    refund_row,
    refund_transaction_row,
)
from storeguard.integrations.mirror.shapes import MappedOrder
from storeguard.orders.models import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.orders.policy import refund_arrival_window


def update_by_id(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Update rows by primary key in one executemany (Core: no ORM bookkeeping per row)."""
    if not rows:
        return
    table = model.__table__
    columns = [c for c in rows[0] if c != "id"]
    stmt = update(table).where(table.c.id == bindparam("_id")).values({c: bindparam(c) for c in columns})
    session.execute(stmt, [{**{c: r[c] for c in columns}, "_id": r["id"]} for r in rows])


def refund_arrival(made: date) -> tuple[date, date]:
    """Return the window in which a refund made on ``made`` reaches the customer."""
    settings = get_settings()
    return refund_arrival_window(
        made, settings.refund_arrival_min_business_days, settings.refund_arrival_max_business_days
    )


def _ids_by_platform_id(session: Session, model: Any, order_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Return {order id: {platform id: row id}} for a child table of orders."""
    found: dict[int, dict[str, int]] = {}
    if order_ids:
        rows = session.execute(
            select(model.order_id, model.platform_id, model.id).where(
                matches_any(session, model.order_id, order_ids)
            )
        )
        for oid, pid, rid in rows:
            if pid is not None:
                found.setdefault(oid, {})[pid] = rid
    return found


def write_lines(
    session: Session,
    new: Sequence[MappedOrder],
    new_ids: Sequence[int],
    changed: Sequence[MappedOrder],
    changed_ids: Sequence[int],
    products: dict[str, int],
) -> dict[int, dict[str, int]]:
    """Insert new orders' lines, match changed orders' lines by platform id; return line ids of
    the new orders that carry shipments or refunds, by order id and line platform id."""
    get_product = products.get
    inserts = [
        line_row(oid, li, get_product(li.product_platform_id) if li.product_platform_id else None)
        for o, oid in zip(new, new_ids, strict=True)
        for li in o.lines
    ]
    new_count = len(inserts)
    if changed:
        known = _ids_by_platform_id(session, LineItem, changed_ids)
        updates: list[dict[str, Any]] = []
        for o, oid in zip(changed, changed_ids, strict=True):
            mine = known.get(oid, {})
            for li in o.lines:
                row = line_row(oid, li, get_product(li.product_platform_id or ""))
                if li.platform_id is not None and li.platform_id in mine:
                    updates.append({"id": mine[li.platform_id], **dict(zip(LINE_COLUMNS, row, strict=True))})
                else:
                    inserts.append(row)
        update_by_id(session, LineItem, updates)
    ids = insert_with_ids(session, LineItem.__table__, LINE_COLUMNS, inserts)
    # The new orders' lines are the first inserts, in order: their ids say which row is which.
    found: dict[int, dict[str, int]] = {}
    at = 0
    for o, oid in zip(new, new_ids, strict=True):
        if o.fulfillments or o.refunds:
            mine = found.setdefault(oid, {})
            for offset, li in enumerate(o.lines):
                if li.platform_id is not None:
                    mine[li.platform_id] = ids[at + offset]
        at += len(o.lines)
    assert at == new_count
    return found


def write_payments(
    session: Session,
    new: Sequence[MappedOrder],
    new_ids: Sequence[int],
    changed: Sequence[MappedOrder],
    changed_ids: Sequence[int],
    stamp: datetime,
) -> None:
    """Mirror each order's payment as one authorization-or-sale transaction, kept up to date."""
    inserts: list[tuple[Any, ...]] = []
    for o, oid in zip(new, new_ids, strict=True):
        if (row := payment_row(oid, o, stamp)) is not None:
            inserts.append(row)
    paid = [(o, oid) for o, oid in zip(changed, changed_ids, strict=True) if o.payment is not None]
    if paid:
        known: dict[tuple[int, str], int] = {}
        if paid:
            rows = session.execute(
                select(Transaction.order_id, Transaction.platform_id, Transaction.id).where(
                    matches_any(session, Transaction.order_id, [oid for _, oid in paid]),
                    Transaction.platform_id.like("payment:%"),
                )
            )
            known.update({(oid, pid): tid for oid, pid, tid in rows})
        updates = []
        for o, oid in paid:
            row = payment_row(oid, o, stamp)
            assert row is not None
            key = (oid, row[1])
            if key in known:
                changes = dict(zip(PAYMENT_COLUMNS, row[: len(PAYMENT_COLUMNS)], strict=True))
                updates.append({"id": known[key], **changes})
            else:
                inserts.append(row)
        update_by_id(session, Transaction, updates)
    insert_tuples(session, Transaction.__table__, TRANSACTION_INSERT, inserts)


def _plain(o: MappedOrder, lines: dict[str, int]) -> bool:
    """Tell whether an order's shipments and refunds can go in batched: ids unique, lines known."""
    fulfillment_ids = [f.platform_id for f in o.fulfillments]
    refund_ids = [r.platform_id for r in o.refunds]
    if len(set(fulfillment_ids)) != len(fulfillment_ids) or len(set(refund_ids)) != len(refund_ids):
        return False
    return all(rl.line_platform_id in lines for r in o.refunds for rl in r.lines)


def write_new_shipments_and_refunds(
    session: Session,
    orders: Sequence[MappedOrder],
    order_ids: Sequence[int],
    line_ids: dict[int, dict[str, int]],
    stamp: datetime,
) -> list[MappedOrder]:
    """Insert new orders' fulfillments and refunds (with lines and refund transactions) batched.

    Returns the orders left for ``store.apply_fulfillments``/``apply_refunds`` to record one by
    one, because something about them needs the careful path's checks and error messages.
    """
    careful: list[MappedOrder] = []
    fulfillments: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    pending: list[tuple[int, MappedOrder, dict[str, int]]] = []
    for o, oid in zip(orders, order_ids, strict=True):
        if not (o.fulfillments or o.refunds):
            continue
        lines = line_ids.get(oid, {})
        if not _plain(o, lines):
            careful.append(o)
            continue
        pending.append((oid, o, lines))
        fulfillments.extend(fulfillment_row(oid, f, stamp) for f in o.fulfillments)
        refunds.extend(refund_row(oid, r, stamp, refund_arrival) for r in o.refunds)
    if not pending:
        return careful
    # Rows went in order by order, so the ids come back in the order the loops below walk.
    fulfillment_ids = iter(insert_with_ids(session, Fulfillment.__table__, FULFILLMENT_INSERT, fulfillments))
    refund_ids = iter(insert_with_ids(session, Refund.__table__, REFUND_INSERT, refunds))
    fulfillment_lines: list[tuple[Any, ...]] = []
    refund_lines: list[tuple[Any, ...]] = []
    refund_transactions: list[tuple[Any, ...]] = []
    for oid, o, lines in pending:
        for f in o.fulfillments:
            fid = next(fulfillment_ids)
            fulfillment_lines.extend((fid, lines[pid], q) for pid, q in f.lines if pid in lines)
        for r in o.refunds:
            rid = next(refund_ids)
            refund_lines.extend(
                (rid, lines[rl.line_platform_id], rl.quantity, rl.amount, rl.restock, rl.returned)
                for rl in r.lines
            )
            refund_transactions.extend(
                refund_transaction_row(oid, r, tx, rid, stamp) for tx in r.transactions
            )
    insert_tuples(session, FulfillmentLine.__table__, FULFILLMENT_LINE_INSERT, fulfillment_lines)
    insert_tuples(session, RefundLine.__table__, REFUND_LINE_INSERT, refund_lines)
    insert_tuples(session, Transaction.__table__, TRANSACTION_INSERT, refund_transactions)
    return careful
