"""Shopify files read, mapped and turned into insert rows, batch by batch: the reader's half.

Everything here is pure CPU work without a database, so it can run in a reader process while
the importing process writes. Each batch carries plain rows (driver-ready tuples) for the orders
that look new; where a row names another row (a line's order, a refund line's line) it holds
that row's index within the batch, which the writer (``imports.fastorders``) turns into the id
it assigns. Each order's text travels along too, so an order the writer finds already stored
(or anything unusual) is mapped again there and upserted through ``store.upsert_orders``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from storeguard.core.clock import now
from storeguard.customers.models import Customer
from storeguard.integrations.children import (
    FULFILLMENT_INSERT,
    FULFILLMENT_LINE_INSERT,
    LINE_COLUMNS,
    REFUND_ACTOR,
    REFUND_INSERT,
    REFUND_LINE_INSERT,
    TRANSACTION_INSERT,
    line_row,
)
from storeguard.integrations.fastwrite import dialect_named, prepare_rows
from storeguard.integrations.imports.reader import iter_json_records
from storeguard.integrations.mapped import MappedOrder, MappingError, quick_pickle
from storeguard.integrations.shopify.mapping import map_order
from storeguard.integrations.store import CUSTOMER_INSERT, ORDER_INSERT, customer_row, order_row
from storeguard.orders.models import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Order,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.orders.policy import refund_arrival_window

# Column orders of the prepared rows: tables whose ids others refer to start with "id" (None
# until the writer assigns it).
CUSTOMER_ROW = ("id", *CUSTOMER_INSERT)
ORDER_ROW = ("id", *ORDER_INSERT)
LINE_ROW = ("id", *LINE_COLUMNS)
FULFILLMENT_ROW = ("id", *FULFILLMENT_INSERT)
REFUND_ROW = ("id", *REFUND_INSERT)
TABLES = {
    "customers": (Customer.__table__, CUSTOMER_ROW),
    "orders": (Order.__table__, ORDER_ROW),
    "lines": (LineItem.__table__, LINE_ROW),
    "payments": (Transaction.__table__, TRANSACTION_INSERT),
    "fulfillments": (Fulfillment.__table__, FULFILLMENT_ROW),
    "refunds": (Refund.__table__, REFUND_ROW),
    "fulfillment_lines": (FulfillmentLine.__table__, FULFILLMENT_LINE_INSERT),
    "refund_lines": (RefundLine.__table__, REFUND_LINE_INSERT),
    "refund_transactions": (Transaction.__table__, TRANSACTION_INSERT),
}


@quick_pickle
@dataclass(slots=True)
class PreparedBatch:
    """One batch of a file: its position, bad rows, and per order (by index) what the writer needs."""

    last_row: int
    offset: int
    errors: list[tuple[int, str]]
    rows: list[int]  # file row of each order
    platform_ids: list[str]
    numbers: list[str]
    texts: list[Any]  # each order's text as read, for the careful path to map again
    careful: list[int]  # orders the writer must upsert the careful way whatever it finds
    customer_keys: list[tuple[str, datetime | None, int]]  # platform id, version, order it came from
    tables: dict[str, list[list[Any]]]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the reader needs to know of the importing side: picklable, for a reader process."""

    path: Path
    shop_id: int
    dialect: str
    refund_arrival_days: tuple[int, int]
    source: str = "import"


def _unwrap(value: Any) -> Any:
    return value["order"] if isinstance(value, dict) and set(value) == {"order"} else value


def prepared_batches(plan: Plan, *, skip_through: int = 0, batch_size: int = 1000) -> Iterator[PreparedBatch]:
    """Read, map and build the rows of the file's records after row ``skip_through``, in batches."""
    dialect = dialect_named(plan.dialect)
    records: list[tuple[int, Any, Any]] = []  # (row, mapped order, text)
    errors: list[tuple[int, str]] = []
    count = 0
    last_row = offset = 0
    for record in iter_json_records(plan.path):
        if record.row <= skip_through:
            continue
        count += 1
        last_row, offset = record.row, record.offset
        if record.error is not None:
            errors.append((record.row, record.error))
        else:
            try:
                mapped = map_order(_unwrap(record.value))
            except MappingError as exc:
                errors.append((record.row, str(exc)))
            else:
                # The text, not the parsed object: far cheaper to send to the writing process.
                records.append((record.row, mapped, record.value if record.raw is None else record.raw))
        if count >= batch_size:
            yield _build(plan, dialect, records, errors, last_row, offset)
            records, errors, count = [], [], 0
    if count:
        yield _build(plan, dialect, records, errors, last_row, offset)


def _repeated(values: list[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for v in values:
        if v in seen:
            twice.add(v)
        seen.add(v)
    return twice


def _build(
    plan: Plan,
    dialect: Any,
    records: list[tuple[int, MappedOrder, Any]],
    errors: list[tuple[int, str]],
    last_row: int,
    offset: int,
) -> PreparedBatch:
    orders = [m for _, m, _ in records]
    pids = [o.platform_id for o in orders]
    numbers = [o.number for o in orders]
    # A platform id or an order number twice in one batch: which one wins (or is refused) is the
    # careful path's to decide, so every occurrence goes there.
    twice_pid, twice_number = _repeated(pids), _repeated(numbers)
    careful: list[int] = []
    stamp = now()
    min_days, max_days = plan.refund_arrival_days
    shop_id, source = plan.shop_id, plan.source

    # Customers: the latest version in the batch, in order of first appearance (as upsert_customers).
    customer_at: dict[str, int] = {}
    customer_rows: list[tuple[Any, ...]] = []
    customer_keys: list[tuple[str, datetime | None, int]] = []
    last_of = {pid: i for i, pid in enumerate(pids)}
    for i, o in enumerate(orders):
        c = o.customer
        if c is None or c.platform_id is None or last_of[o.platform_id] != i:
            continue  # an order a later copy in the batch replaces brings no customer
        row = (None, *customer_row(shop_id, c, stamp), c.created_at or stamp)
        at = customer_at.get(c.platform_id)
        if at is None:
            customer_at[c.platform_id] = len(customer_rows)
            customer_rows.append(row)
            customer_keys.append((c.platform_id, c.platform_updated_at, i))
            continue
        seen = customer_keys[at][1]
        if c.platform_updated_at is None or seen is None or c.platform_updated_at >= seen:
            customer_rows[at] = row
            customer_keys[at] = (c.platform_id, c.platform_updated_at, i)

    order_rows: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    payments: list[tuple[Any, ...]] = []
    fulfillments: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    fulfillment_lines: list[tuple[Any, ...]] = []
    refund_lines: list[tuple[Any, ...]] = []
    refund_transactions: list[tuple[Any, ...]] = []
    for i, o in enumerate(orders):
        if o.platform_id in twice_pid or o.number in twice_number or not _plain(o):
            careful.append(i)
            continue
        c = o.customer
        customer = customer_at[c.platform_id] if c is not None and c.platform_id is not None else None
        order_rows.append(
            (None, *order_row(shop_id, o, customer, source, stamp), o.created_at or stamp, False)
        )
        line_at: dict[str, int] = {}
        for li in o.lines:
            if li.platform_id is not None:
                line_at[li.platform_id] = len(lines)
            # The product column holds the product's platform id until the writer looks it up.
            lines.append((None, *line_row(i, li, li.product_platform_id)))
        p = o.payment
        if p is not None:
            created = o.created_at or stamp
            payments.append(
                (
                    i,
                    f"payment:{o.platform_id}",
                    p.kind,
                    p.amount,
                    o.currency,
                    p.gateway,
                    "success",
                    created,
                    0,
                    None,
                    None,
                )
            )
        for f in o.fulfillments:
            at = len(fulfillments)
            fulfillments.append(
                (
                    None,
                    i,
                    f.platform_id,
                    f.state,
                    f.carrier,
                    f.tracking_number,
                    f.tracking_url,
                    f.created_at or stamp,
                    (f.delivered_at or stamp) if f.state == "delivered" else None,
                    stamp if f.state == "cancelled" else None,
                )
            )
            fulfillment_lines.extend((at, line_at[pid], q) for pid, q in f.lines if pid in line_at)
        for r in o.refunds:
            at = len(refunds)
            made = r.created_at or stamp
            day: date = made.date()
            refunds.append(
                (
                    None,
                    i,
                    r.platform_id,
                    r.amount,
                    r.shipping_amount,
                    r.currency,
                    r.reason,
                    r.note,
                    REFUND_ACTOR,
                    *refund_arrival_window(day, min_days, max_days),
                    made,
                )
            )
            refund_lines.extend(
                (at, line_at[rl.line_platform_id], rl.quantity, rl.amount, rl.restock) for rl in r.lines
            )
            for tx in r.transactions:
                status = tx.status if tx.status in {"success", "failure", "pending"} else "pending"
                refund_transactions.append(
                    (
                        i,
                        tx.platform_id,
                        "refund",
                        tx.amount,
                        r.currency,
                        tx.gateway,
                        status,
                        tx.created_at or stamp,
                        0,
                        at,
                        tx.reference,
                    )
                )
        del line_at

    built = {
        "customers": customer_rows,
        "orders": order_rows,
        "lines": lines,
        "payments": payments,
        "fulfillments": fulfillments,
        "refunds": refunds,
        "fulfillment_lines": fulfillment_lines,
        "refund_lines": refund_lines,
        "refund_transactions": refund_transactions,
    }
    tables = {name: prepare_rows(dialect, *TABLES[name], rows) for name, rows in built.items()}
    return PreparedBatch(
        last_row=last_row,
        offset=offset,
        errors=errors,
        rows=[row for row, _, _ in records],
        platform_ids=pids,
        numbers=numbers,
        texts=[text for _, _, text in records],
        careful=careful,
        customer_keys=customer_keys,
        tables=tables,
    )


def _plain(o: MappedOrder) -> bool:
    """Tell whether an order's shipments and refunds can go in as rows (as ``children._plain``)."""
    if not (o.fulfillments or o.refunds):
        return True
    fulfillment_ids = [f.platform_id for f in o.fulfillments]
    refund_ids = [r.platform_id for r in o.refunds]
    if len(set(fulfillment_ids)) != len(fulfillment_ids) or len(set(refund_ids)) != len(refund_ids):
        return False
    lines = {li.platform_id for li in o.lines if li.platform_id is not None}
    return all(rl.line_platform_id in lines for r in o.refunds for rl in r.lines)
