"""Writing a prepared batch of Shopify orders: the importing process's half.

The reader (``imports.prepared``) built every row; here the orders already stored are found
with one look-up by platform id, ids are assigned to the new rows and put where the rows name
each other, and each table goes in with one driver call (COPY on PostgreSQL). Stored orders,
and whatever the reader marked unusual, are mapped again from their text and upserted through
``store.upsert_orders``, the same path webhooks take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.fastwrite import insert_prepared, last_rowid, matches_any, take_ids
from storeguard.integrations.imports.prepared import TABLES, PreparedBatch, _unwrap
from storeguard.integrations.imports.reader import parse
from storeguard.integrations.imports.runner import BatchOutcome
from storeguard.integrations.mapped import MappedCustomer
from storeguard.integrations.shopify.mapping import map_order
from storeguard.integrations.store import is_newer, upsert_customers, upsert_orders
from storeguard.orders.models import Order
from storeguard.shops.models import Product, Shop

# (position in the row, ids by batch index): a row whose referenced row was not inserted is dropped.
Link = tuple[int, Sequence[int | None]]


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
    new_ids = _assign_ids(session, table, columns, kept)
    for index, new_id in zip(at, new_ids, strict=True):
        ids[index] = new_id
    return ids


def _assign_ids(session: Session, table: Table, columns: Sequence[str], rows: list[list[Any]]) -> list[int]:
    """Put ids in the rows' first column and insert them (ids taken as ``insert_with_ids`` does)."""
    if session.get_bind().dialect.name == "postgresql":
        ids = take_ids(session, table, len(rows))
        for values, new_id in zip(rows, ids, strict=True):
            values[0] = new_id
        insert_prepared(session, table, columns, rows)
        return ids
    # SQLite: the first row takes the next id; no other connection can take the ones after it
    # while this transaction holds the write lock.
    insert_prepared(session, table, columns, rows[:1])
    first = last_rowid(session)
    for offset, values in enumerate(rows):
        values[0] = first + offset
    insert_prepared(session, table, columns, rows[1:])
    return list(range(first, first + len(rows)))


def write_prepared(
    session: Session, shop: Shop, batch: PreparedBatch, *, source: str = "import"
) -> BatchOutcome:
    """Write one prepared batch: new orders as rows, stored and unusual ones the careful way."""
    tables = batch.tables
    n = len(batch.platform_ids)
    careful = set(batch.careful)
    if n:
        # The one look-up the batch needs: which of its orders (or their numbers) are stored.
        stored = set(
            session.scalars(
                select(Order.platform_id).where(
                    Order.shop_id == shop.id, matches_any(session, Order.platform_id, batch.platform_ids)
                )
            )
        )
        numbers = set(
            session.scalars(
                select(Order.number).where(
                    Order.shop_id == shop.id, matches_any(session, Order.number, batch.numbers)
                )
            )
        )
        for i, (pid, number) in enumerate(zip(batch.platform_ids, batch.numbers, strict=True)):
            if pid in stored or number in numbers:
                careful.add(i)

    customer_ids = _write_customers(session, shop, batch)
    # Order rows hold their batch index in the customer column until here; careful orders have no row.
    fast = [i for i in range(n) if i not in batch.careful]
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
    products = _product_ids(session, shop, tables["lines"])
    line_ids = _insert(session, "lines", tables["lines"], [(1, order_ids)], optional=[(2, products.get)])
    _insert(session, "payments", tables["payments"], [(0, order_ids)])
    fulfillment_ids = _insert(session, "fulfillments", tables["fulfillments"], [(1, order_ids)])
    refund_ids = _insert(session, "refunds", tables["refunds"], [(1, order_ids)])
    _insert(session, "fulfillment_lines", tables["fulfillment_lines"], [(0, fulfillment_ids), (1, line_ids)])
    _insert(session, "refund_lines", tables["refund_lines"], [(0, refund_ids), (1, line_ids)])
    _insert(session, "refund_transactions", tables["refund_transactions"], [(0, order_ids), (9, refund_ids)])
    created = sum(1 for oid in order_ids if oid is not None)

    outcome = BatchOutcome(created, 0, 0, [])
    if careful:
        chosen = sorted(careful)
        mapped = [map_order(_unwrap(_value(batch.texts[i]))) for i in chosen]
        result = upsert_orders(session, shop, mapped, source=source)
        outcome.created += result.created
        outcome.updated += result.updated
        outcome.skipped += result.skipped
        outcome.failed.extend((batch.rows[chosen[k]], reason) for k, reason in result.failed)
    return outcome


def _value(text: Any) -> Any:
    return parse(text) if isinstance(text, bytes | str) else text


def _write_customers(session: Session, shop: Shop, batch: PreparedBatch) -> list[int | None]:
    """Insert the batch's new customers; bring stored ones up to a newer version; return ids by index."""
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
            customer = map_order(_unwrap(_value(batch.texts[order_at]))).customer
            assert customer is not None
            newer.append(customer)
    if newer:
        upsert_customers(session, shop, newer)
    new = _insert(session, "customers", batch.tables["customers"], keep=lambda k: ids[k] is None)
    return [old if old is not None else made for old, made in zip(ids, new, strict=True)]


def _product_ids(session: Session, shop: Shop, lines: list[list[Any]]) -> dict[str, int]:
    """Return the shop's product ids by platform id for the products the lines name."""
    wanted = list({values[2] for values in lines if values[2] is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(Product.platform_id, Product.id).where(
            Product.shop_id == shop.id, matches_any(session, Product.platform_id, wanted)
        )
    )
    return {pid: product_id for pid, product_id in rows}
