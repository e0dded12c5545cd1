"""Writing a prepared batch of Shopify orders: the importing process's half.

The reader (``imports.prepared``) built every row; here the orders already stored are found
with one look-up by platform id, and the new ones go in with one driver call per table. On
PostgreSQL the rows arrive as COPY text with their ids: this process adds each order's customer
(stored or new) and each line's product, leaves out the orders found stored, and sends the
text. On SQLite it assigns ids and puts them where the rows name each other. Stored orders, and
whatever the reader marked unusual, are mapped again from their text and upserted through
``store.upsert_orders``, the same path webhooks take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, union_all
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.fastwrite import (
    column_kinds,
    copy_text,
    insert_prepared,
    last_rowid,
    matches_any,
)
from storeguard.integrations.imports.prepared import (
    COLUMNS,
    ORDER_CHILDREN,
    CopyText,
    PreparedBatch,
    _unwrap,
    copy_columns,
)
from storeguard.integrations.imports.reader import parse
from storeguard.integrations.imports.runner import BatchOutcome
from storeguard.integrations.mapped import MappedCustomer
from storeguard.integrations.render import NULL
from storeguard.integrations.shopify.mapping import map_order
from storeguard.integrations.store import is_newer, upsert_customers, upsert_orders
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

MODELS: dict[str, Any] = {
    "customers": Customer,
    "orders": Order,
    "lines": LineItem,
    "payments": Transaction,
    "fulfillments": Fulfillment,
    "refunds": Refund,
    "fulfillment_lines": FulfillmentLine,
    "refund_lines": RefundLine,
    "refund_transactions": Transaction,
}
TABLES: dict[str, tuple[Table, tuple[str, ...]]] = {
    name: (model.__table__, COLUMNS[name]) for name, model in MODELS.items()
}


def reader_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Return what the reader needs of the models: each table's column kinds, and its name."""
    kinds = {name: column_kinds(table, columns) for name, (table, columns) in TABLES.items()}
    return kinds, {name: table.name for name, (table, _) in TABLES.items()}


# (position in the row, ids by batch index): a row whose referenced row was not inserted is dropped.
Link = tuple[int, Sequence[int | None]]


@dataclass(slots=True)
class LookedUp:
    """What a batch's look-ups found, and the customers' ids (stored, or new and now written)."""

    careful: set[int]  # orders to upsert the careful way: stored ones, and what the reader marked
    customer_ids: list[int | None]  # by customer index; SQLite: the stored ones only


def look_up(session: Session, shop: Shop, batch: PreparedBatch) -> LookedUp:
    """Find the batch's stored orders and customers; on PostgreSQL also write its new customers.

    The first half of ``write_prepared``: on PostgreSQL ``imports.overlap`` commits it on its
    own, so that the next batch's look-ups see these customers while this batch's orders go in
    over another connection.
    """
    careful = set(batch.careful)
    if batch.platform_ids:
        # Which of its orders (or their numbers) are stored. One round trip; a union, not an
        # OR, so that SQLite too looks up both by index.
        found = session.execute(
            union_all(
                select(Order.platform_id, Order.number).where(
                    Order.shop_id == shop.id, matches_any(session, Order.platform_id, batch.platform_ids)
                ),
                select(Order.platform_id, Order.number).where(
                    Order.shop_id == shop.id, matches_any(session, Order.number, batch.numbers)
                ),
            )
        ).all()
        stored = {pid for pid, _ in found}
        numbers = {number for _, number in found}
        for i, (pid, number) in enumerate(zip(batch.platform_ids, batch.numbers, strict=True)):
            if pid in stored or number in numbers:
                careful.add(i)
    customer_ids = _stored_customers(session, shop, batch)
    text = batch.copy
    if text is not None:
        _copy(
            session,
            "customers",
            "".join(line for line, old in zip(text.customers, customer_ids, strict=True) if old is None),
        )
        customer_ids = [
            old if old is not None else new for old, new in zip(customer_ids, text.customer_ids, strict=True)
        ]
    return LookedUp(careful, customer_ids)


def write_prepared(
    session: Session, shop: Shop, batch: PreparedBatch, *, source: str = "import"
) -> BatchOutcome:
    """Write one prepared batch: new orders as rows, stored and unusual ones the careful way."""
    return write_looked_up(session, shop, batch, look_up(session, shop, batch), source=source)


def write_looked_up(
    session: Session, shop: Shop, batch: PreparedBatch, found: LookedUp, *, source: str = "import"
) -> BatchOutcome:
    """Write a batch whose look-ups ``look_up`` made: the second half of ``write_prepared``."""
    careful = found.careful
    if batch.copy is not None:
        created = _copy_batch(session, shop, batch, batch.copy, found)
    else:
        created = _insert_batch(session, shop, batch, found)
    outcome = BatchOutcome(created, 0, 0, [])
    if careful:
        chosen = sorted(careful)
        mapped = [map_order(_unwrap(parse(batch.text(i)))) for i in chosen]
        result = upsert_orders(session, shop, mapped, source=source)
        outcome.created += result.created
        outcome.updated += result.updated
        outcome.skipped += result.skipped
        outcome.failed.extend((batch.rows[chosen[k]], reason) for k, reason in result.failed)
    return outcome


def _stored_customers(session: Session, shop: Shop, batch: PreparedBatch) -> list[int | None]:
    """Return the stored id of each of the batch's customers (None: new), bringing stored ones up
    to a newer version the batch has."""
    keys = batch.customer_keys
    if not keys:
        return []
    stored: dict[str, tuple[int, Any]] = {}
    rows = session.execute(
        select(Customer.platform_id, Customer.id, Customer.platform_updated_at).where(
            Customer.shop_id == shop.id, matches_any(session, Customer.platform_id, [k[0] for k in keys])
        )
    )
    for pid, cid, stamp in rows:
        stored[pid] = (cid, stamp)
    ids: list[int | None] = [None] * len(keys)
    newer: list[MappedCustomer] = []
    for index, (pid, version, order_at) in enumerate(keys):
        found = stored.get(pid)
        if found is None:
            continue
        ids[index] = found[0]
        if is_newer(version, found[1], overwrite_equal=False):
            # Rare (a customer changed since an earlier batch): map that order again for its customer.
            customer = map_order(_unwrap(parse(batch.text(order_at)))).customer
            assert customer is not None
            newer.append(customer)
    if newer:
        upsert_customers(session, shop, newer)
    return ids


def _copy(session: Session, name: str, data: str) -> None:
    copy_text(session, TABLES[name][0], copy_columns(name), data)


def _copy_batch(session: Session, shop: Shop, batch: PreparedBatch, text: CopyText, found: LookedUp) -> int:
    """PostgreSQL: send the orders' COPY text with their customers, leaving out the careful orders."""
    careful = found.careful
    customer_ids = [str(cid) for cid in found.customer_ids]
    kept = [i for i, line in enumerate(text.orders) if line is not None and i not in careful]
    if not kept:
        return 0
    parts: list[str] = []
    for i in kept:
        customer = text.order_customers[i]
        parts += (text.orders[i] or "", NULL if customer is None else customer_ids[customer], "\n")
    _copy(session, "orders", "".join(parts))
    every = len(kept) == len(text.orders)
    for name in ORDER_CHILDREN:
        rows = text.children[name]
        data = "".join(rows) if every else "".join(rows[i] for i in kept)
        if name == "lines" and text.product_lines:
            data += _product_lines(session, shop, text.product_lines, None if every else set(kept))
        _copy(session, name, data)
    return len(kept)


def _product_lines(
    session: Session, shop: Shop, lines: list[tuple[int, str, str]], kept: set[int] | None
) -> str:
    """The lines naming a product, with the shop's product id (or none, for a product not mirrored)."""
    chosen = [line for line in lines if kept is None or line[0] in kept]
    products = _product_ids(session, shop, [pid for _, _, pid in chosen])
    return "".join(f"{head}{products.get(pid, NULL)}\n" for _, head, pid in chosen)


def _product_ids(session: Session, shop: Shop, platform_ids: Sequence[str]) -> dict[str, int]:
    """Return the shop's product ids by platform id for the products named."""
    wanted = list(set(platform_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Product.platform_id, Product.id).where(
            Product.shop_id == shop.id, matches_any(session, Product.platform_id, wanted)
        )
    )
    return {pid: product_id for pid, product_id in rows}


def _insert_batch(session: Session, shop: Shop, batch: PreparedBatch, found: LookedUp) -> int:
    """SQLite: assign ids to the new rows, resolve where rows name each other, insert each table."""
    tables = batch.tables()
    n = len(batch.platform_ids)
    careful = found.careful
    stored = found.customer_ids
    new = _insert(session, "customers", tables["customers"], keep=lambda k: stored[k] is None)
    customer_ids = [old if old is not None else made for old, made in zip(stored, new, strict=True)]
    # Order rows hold their batch index in the customer column until here; careful orders have no row.
    skipped = set(batch.careful)
    fast = [i for i in range(n) if i not in skipped]
    order_ids: list[int | None] = [None] * n
    if fast:
        placed = _insert(
            session,
            "orders",
            tables["orders"],
            optional=[(2, customer_ids.__getitem__)],
            keep=lambda k: fast[k] not in careful,
        )
        for k, new_id in enumerate(placed):
            order_ids[fast[k]] = new_id
    products = _product_ids(session, shop, [values[2] for values in tables["lines"] if values[2] is not None])
    line_ids = _insert(session, "lines", tables["lines"], [(1, order_ids)], optional=[(2, products.get)])
    _insert(session, "payments", tables["payments"], [(0, order_ids)])
    fulfillment_ids = _insert(session, "fulfillments", tables["fulfillments"], [(1, order_ids)])
    refund_ids = _insert(session, "refunds", tables["refunds"], [(1, order_ids)])
    _insert(session, "fulfillment_lines", tables["fulfillment_lines"], [(0, fulfillment_ids), (1, line_ids)])
    _insert(session, "refund_lines", tables["refund_lines"], [(0, refund_ids), (1, line_ids)])
    _insert(session, "refund_transactions", tables["refund_transactions"], [(0, order_ids), (9, refund_ids)])
    return sum(1 for oid in order_ids if oid is not None)


def _insert(
    session: Session,
    name: str,
    rows: list[list[Any]],
    links: Sequence[Link] = (),
    *,
    optional: Sequence[tuple[int, Callable[[Any], Any]]] = (),
    keep: Callable[[int], bool] | None = None,
) -> list[int | None]:
    """Insert a prepared table's rows with ids resolved; return the new ids by batch index."""
    table, columns = TABLES[name]
    with_ids = columns[0] == "id"
    ids: list[int | None] = [None] * len(rows)
    kept: list[list[Any]] = []
    at: list[int] = []
    for index, values in enumerate(rows):
        if keep is not None and not keep(index):
            continue
        for pos, parent in links:
            ref = parent[values[pos]]
            if ref is None:
                break
            values[pos] = ref
        else:
            for pos, resolve in optional:
                if values[pos] is not None:
                    values[pos] = resolve(values[pos])
            kept.append(values)
            at.append(index)
    if not kept:
        return ids
    if not with_ids:
        insert_prepared(session, table, columns, kept)
        return ids
    # The first row takes the next id; no other connection can take the ones after it while this
    # transaction holds SQLite's write lock.
    insert_prepared(session, table, columns, kept[:1])
    first = last_rowid(session)
    for offset, values in enumerate(kept):
        values[0] = first + offset
    insert_prepared(session, table, columns, kept[1:])
    for k, index in enumerate(at):
        ids[index] = first + k
    return ids
