"""Shopify files read, mapped and turned into insert rows, batch by batch: the reader's half.

Everything here is CPU work on the file (and, on PostgreSQL, taking ids from the tables'
sequences), so it runs in a reader process while the importing process writes. It imports the
mapping and the row builders only, not the models, so that process starts quickly.

On PostgreSQL a batch carries its rows as finished COPY text: the reader takes the new rows' ids
from the sequences itself (an id taken for a row that is then not written is only a gap), so the
writer (``imports.fastorders``) adds nothing but each order's customer id and any line's product
id, which need looks-ups in its transaction. On SQLite, where ids come from the write lock, a
batch carries value rows in which a row names another row by its index within the batch; the
writer turns those into the ids it assigns.

Each order's text travels along too, so an order the writer finds already stored (or anything
unusual) is mapped again there and upserted through ``store.upsert_orders``.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from storeguard.core.clock import now
from storeguard.integrations.imports.reader import record_batches
from storeguard.integrations.mapped import MappedCustomer, MappedOrder, MappingError, quick_pickle
from storeguard.integrations.render import NULL, copy_renderer, sqlite_renderer
from storeguard.integrations.rows import (
    CUSTOMER_INSERT,
    FULFILLMENT_INSERT,
    FULFILLMENT_LINE_INSERT,
    LINE_COLUMNS,
    ORDER_INSERT,
    REFUND_INSERT,
    REFUND_LINE_INSERT,
    TRANSACTION_INSERT,
    customer_row,
    fulfillment_row,
    line_row,
    order_row,
    payment_row,
    refund_row,
    refund_transaction_row,
)
from storeguard.integrations.shopify.mapping import map_order
from storeguard.orders.policy import refund_arrival_window

# Column orders of the prepared rows: tables whose ids others refer to start with "id".
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("id", *CUSTOMER_INSERT),
    "orders": ("id", *ORDER_INSERT),
    "lines": ("id", *LINE_COLUMNS),
    "payments": TRANSACTION_INSERT,
    "fulfillments": ("id", *FULFILLMENT_INSERT),
    "refunds": ("id", *REFUND_INSERT),
    "fulfillment_lines": FULFILLMENT_LINE_INSERT,
    "refund_lines": REFUND_LINE_INSERT,
    "refund_transactions": TRANSACTION_INSERT,
}
# The tables whose every row belongs to one order, parents before the rows naming them.
ORDER_CHILDREN = (
    "lines",
    "payments",
    "fulfillments",
    "refunds",
    "fulfillment_lines",
    "refund_lines",
    "refund_transactions",
)
# Tables whose ids the reader takes from PostgreSQL's sequences (the others' rows take the default).
WITH_IDS = ("customers", "orders", "lines", "fulfillments", "refunds")
# The column the PostgreSQL writer adds at the end of a row: what only a look-up in its transaction tells.
WRITER_COLUMN = {"orders": "customer_id", "lines": "product_id"}


def copy_columns(name: str) -> tuple[str, ...]:
    """The column order of a table's COPY text: the writer's own column, if any, last."""
    columns = COLUMNS[name]
    last = WRITER_COLUMN.get(name)
    return columns if last is None else (*(c for c in columns if c != last), last)


@quick_pickle
@dataclass(slots=True)
class CopyText:
    """A batch's rows as PostgreSQL COPY text, ids taken; per order where the writer may leave one out."""

    customers: list[str]  # each customer's whole line, in ``customer_keys`` order
    customer_ids: list[int]  # the id each of those takes if it is new
    orders: list[str | None]  # each order's line up to its customer column (None: not a row)
    order_customers: list[int | None]  # each order's customer, by index in ``customers``
    children: dict[str, list[str]]  # per table in ORDER_CHILDREN, each order's lines
    product_lines: list[tuple[int, str, str]]  # lines naming a product: order, line up to it, product id


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
    texts: bytes | str  # the orders' texts as read, one after another
    text_ends: list[int]  # where each order's text ends in ``texts``
    careful: list[int]  # orders the writer must upsert the careful way whatever it finds
    customer_keys: list[tuple[str, datetime | None, int]]  # platform id, version, order it came from
    values: bytes | None = None  # SQLite: marshal of {table: rows}, rows naming rows by batch index
    copy: CopyText | None = None  # PostgreSQL

    def text(self, index: int) -> bytes | str:
        """Return an order's text as read from the file."""
        start = self.text_ends[index - 1] if index else 0
        return self.texts[start : self.text_ends[index]]

    def tables(self) -> dict[str, list[list[Any]]]:
        """Return the SQLite value rows by table."""
        assert self.values is not None
        return marshal.loads(self.values)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the reader needs to know of the importing side: picklable, for a reader process."""

    path: Path
    shop_id: int
    dialect: str
    refund_arrival_days: tuple[int, int]
    kinds: dict[str, tuple[str, ...]]  # each table's column kinds in COLUMNS order
    tables: dict[str, str]  # each table's name in the database
    # PostgreSQL: the database's libpq URL, where the reader takes ids (it may hold a password).
    database: str | None = field(default=None, repr=False)
    source: str = "import"


class SequenceIds:
    """New rows' ids from PostgreSQL's sequences, on the reader's own connection.

    ``nextval`` is safe beside any other writer and never rolled back, so ids taken for rows
    that the writer then leaves out are gaps, as after any rolled-back insert.
    """

    def __init__(self, database: str, tables: dict[str, str]) -> None:
        import psycopg  # here, not at the top: a SQLite import's reader never loads it

        self.connection = psycopg.connect(database, autocommit=True)
        names = [tables[name] for name in WITH_IDS]
        row = self.connection.execute(
            "SELECT " + ", ".join("pg_get_serial_sequence(%s, 'id')" for _ in names),
            [f'"{n}"' for n in names],
        ).fetchone()
        assert row is not None
        self.sequences = dict(zip(WITH_IDS, row, strict=True))

    def take(self, counts: dict[str, int]) -> dict[str, list[int]]:
        """Return ``counts[table]`` new ids for each table, in one round trip."""
        wanted = [(name, n) for name, n in counts.items() if n]
        taken: dict[str, list[int]] = {name: [] for name in counts}
        if not wanted:
            return taken
        sql = "SELECT " + ", ".join(
            "(SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s))" for _ in wanted
        )
        params: list[Any] = []
        for name, n in wanted:
            params += [self.sequences[name], n]
        row = self.connection.execute(sql, params).fetchone()
        assert row is not None
        for (name, _), ids in zip(wanted, row, strict=True):
            taken[name] = sorted(ids)
        return taken

    def close(self) -> None:
        self.connection.close()


def _unwrap(value: Any) -> Any:
    return value["order"] if isinstance(value, dict) and len(value) == 1 and "order" in value else value


def prepared_batches(
    plan: Plan, *, skip_through: int = 0, batch_size: int = 1000, part: int = 0, parts: int = 1
) -> Iterator[PreparedBatch]:
    """Read, map and build the rows of the file's records after row ``skip_through``, in batches.

    With ``parts`` readers, this one makes every ``parts``-th batch from batch ``part`` on.
    """
    build = _Builder(plan)
    try:
        for batch in record_batches(
            plan.path, skip_through=skip_through, batch_size=batch_size, part=part, parts=parts
        ):
            records: list[tuple[int, MappedOrder, Any]] = []  # (row, mapped order, text)
            errors: list[tuple[int, str]] = []
            for record in batch:
                if record.error is not None:
                    errors.append((record.row, record.error))
                    continue
                try:
                    mapped = map_order(_unwrap(record.value))
                except MappingError as exc:
                    errors.append((record.row, str(exc)))
                else:
                    # The text, not the parsed object: far cheaper to send to the writing process.
                    records.append((record.row, mapped, record.value if record.raw is None else record.raw))
            yield build(records, errors, batch[-1].row, batch[-1].offset)
    finally:
        build.close()


def _repeated(values: list[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for v in values:
        if v in seen:
            twice.add(v)
        seen.add(v)
    return twice


def _texts(texts: list[Any]) -> tuple[bytes | str, list[int]]:
    """Join the orders' texts into one (one object to send, not thousands) and say where each ends."""
    ends: list[int] = []
    end = 0
    if all(isinstance(t, bytes) for t in texts):
        for t in texts:
            end += len(t)
            ends.append(end)
        return b"".join(texts), ends
    # A JSON array's elements are text already; anything else is sent as its JSON.
    strings = [t if isinstance(t, str) else json.dumps(t) for t in texts]
    for t in strings:
        end += len(t)
        ends.append(end)
    return "".join(strings), ends


class _Builder:
    """Builds a batch's rows for the plan's database."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.postgres = plan.dialect == "postgresql"
        self.ids: SequenceIds | None = None
        if self.postgres:
            assert plan.database is not None, "a PostgreSQL import's reader needs the database to take ids"
            self.ids = SequenceIds(plan.database, plan.tables)
            skip = {name: COLUMNS[name].index(column) for name, column in WRITER_COLUMN.items()}
            # Per table, rows of an order whose text has no backslash (so no value needs escaping)
            # and rows of any other order.
            self.copy: dict[bool, dict[str, Callable[[Any], str]]] = {
                plain: {
                    name: copy_renderer(
                        plan.kinds[name], skip=[skip[name]] if name in skip else [], escape=not plain
                    )
                    for name in COLUMNS
                }
                for plain in (True, False)
            }
        else:
            self.sqlite: dict[str, Callable[[Any], list[Any]]] = {
                name: sqlite_renderer(plan.kinds[name]) for name in COLUMNS
            }

    def close(self) -> None:
        if self.ids is not None:
            self.ids.close()

    def __call__(
        self,
        records: list[tuple[int, MappedOrder, Any]],
        errors: list[tuple[int, str]],
        last_row: int,
        offset: int,
    ) -> PreparedBatch:
        orders = [m for _, m, _ in records]
        pids = [o.platform_id for o in orders]
        numbers = [o.number for o in orders]
        # A platform id or an order number twice in one batch: which one wins (or is refused) is
        # the careful path's to decide, so every occurrence goes there.
        twice_pid, twice_number = _repeated(pids), _repeated(numbers)
        careful = [
            i
            for i, o in enumerate(orders)
            if o.platform_id in twice_pid or o.number in twice_number or not _plain(o)
        ]
        customers, customer_keys, customer_at = _customers(orders, pids)
        raw = [text for _, _, text in records]
        texts, text_ends = _texts(raw)
        batch = PreparedBatch(
            last_row=last_row,
            offset=offset,
            errors=errors,
            rows=[row for row, _, _ in records],
            platform_ids=pids,
            numbers=numbers,
            texts=texts,
            text_ends=text_ends,
            careful=careful,
            customer_keys=customer_keys,
        )
        stamp = now()
        if self.postgres:
            # A JSON string holds a backslash, tab, newline or carriage return only written with a
            # backslash: an order whose text has none needs no escaping anywhere in its rows.
            plain = [
                isinstance(t, bytes | str) and ("\\" not in t if isinstance(t, str) else b"\\" not in t)
                for t in raw
            ]
            batch.copy = self._copy_text(orders, careful, customers, customer_keys, customer_at, plain, stamp)
        else:
            batch.values = self._values(orders, careful, customers, customer_at, stamp)
        return batch

    def _copy_text(
        self,
        orders: list[MappedOrder],
        careful: list[int],
        customers: list[MappedCustomer],
        customer_keys: list[tuple[str, datetime | None, int]],
        customer_at: dict[str, int],
        plain: list[bool],
        stamp: datetime,
    ) -> CopyText:
        plan = self.plan
        shop_id, source = plan.shop_id, plan.source
        arrival = partial(_arrival, plan.refund_arrival_days)
        skipped = set(careful)
        fast = [i for i in range(len(orders)) if i not in skipped]
        assert self.ids is not None
        ids = self.ids.take(
            {
                "customers": len(customers),
                "orders": len(fast),
                "lines": sum(len(orders[i].lines) for i in fast),
                "fulfillments": sum(len(orders[i].fulfillments) for i in fast),
                "refunds": sum(len(orders[i].refunds) for i in fast),
            }
        )
        customer_lines = [
            self.copy[plain[key[2]]]["customers"](
                (cid, *customer_row(shop_id, c, stamp), c.created_at or stamp)
            )
            + "\n"
            for cid, c, key in zip(ids["customers"], customers, customer_keys, strict=True)
        ]
        n = len(orders)
        order_lines: list[str | None] = [None] * n
        order_customers: list[int | None] = [None] * n
        children: dict[str, list[str]] = {name: [""] * n for name in ORDER_CHILDREN}
        product_lines: list[tuple[int, str, str]] = []
        order_ids, line_ids = iter(ids["orders"]), iter(ids["lines"])
        fulfillment_ids, refund_ids = iter(ids["fulfillments"]), iter(ids["refunds"])
        no_product = f"\t{NULL}\n"
        for i in fast:
            o = orders[i]
            r = self.copy[plain[i]]
            render_order, render_line = r["orders"], r["lines"]
            render_payment, render_fulfillment = r["payments"], r["fulfillments"]
            render_refund, render_fl, render_rl = r["refunds"], r["fulfillment_lines"], r["refund_lines"]
            render_tx = r["refund_transactions"]
            oid = next(order_ids)
            c = o.customer
            if c is not None and c.platform_id is not None:
                order_customers[i] = customer_at[c.platform_id]
            created = o.created_at or stamp
            order_lines[i] = (
                render_order((oid, *order_row(shop_id, o, None, source, stamp), created, False)) + "\t"
            )
            line_at: dict[str, int] = {}
            rows: list[str] = []
            for li in o.lines:
                lid = next(line_ids)
                if li.platform_id is not None:
                    line_at[li.platform_id] = lid
                text = render_line((lid, *line_row(oid, li, None)))
                if li.product_platform_id is None:
                    rows.append(text + no_product)
                else:
                    product_lines.append((i, text + "\t", li.product_platform_id))
            if rows:
                children["lines"][i] = "".join(rows)
            payment = payment_row(oid, o, stamp)
            if payment is not None:
                children["payments"][i] = render_payment(payment) + "\n"
            if o.fulfillments:
                shipments: list[str] = []
                shipped: list[str] = []
                for f in o.fulfillments:
                    fid = next(fulfillment_ids)
                    shipments.append(render_fulfillment((fid, *fulfillment_row(oid, f, stamp))) + "\n")
                    shipped.extend(
                        render_fl((fid, line_at[pid], q)) + "\n" for pid, q in f.lines if pid in line_at
                    )
                children["fulfillments"][i] = "".join(shipments)
                children["fulfillment_lines"][i] = "".join(shipped)
            if o.refunds:
                refunds: list[str] = []
                refunded: list[str] = []
                transactions: list[str] = []
                for rf in o.refunds:
                    rid = next(refund_ids)
                    refunds.append(render_refund((rid, *refund_row(oid, rf, stamp, arrival))) + "\n")
                    refunded.extend(
                        render_rl((rid, line_at[rl.line_platform_id], rl.quantity, rl.amount, rl.restock))
                        + "\n"
                        for rl in rf.lines
                    )
                    transactions.extend(
                        render_tx(refund_transaction_row(oid, rf, tx, rid, stamp)) + "\n"
                        for tx in rf.transactions
                    )
                children["refunds"][i] = "".join(refunds)
                children["refund_lines"][i] = "".join(refunded)
                children["refund_transactions"][i] = "".join(transactions)
        return CopyText(
            customers=customer_lines,
            customer_ids=ids["customers"],
            orders=order_lines,
            order_customers=order_customers,
            children=children,
            product_lines=product_lines,
        )

    def _values(
        self,
        orders: list[MappedOrder],
        careful: list[int],
        customers: list[MappedCustomer],
        customer_at: dict[str, int],
        stamp: datetime,
    ) -> bytes:
        """SQLite value rows; a row names another by its index in the batch (the writer assigns ids)."""
        plan = self.plan
        shop_id, source = plan.shop_id, plan.source
        arrival = partial(_arrival, plan.refund_arrival_days)
        skipped = set(careful)
        customer_rows = [(None, *customer_row(shop_id, c, stamp), c.created_at or stamp) for c in customers]
        order_rows: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        fulfillments: list[tuple[Any, ...]] = []
        refunds: list[tuple[Any, ...]] = []
        fulfillment_lines: list[tuple[Any, ...]] = []
        refund_lines: list[tuple[Any, ...]] = []
        refund_transactions: list[tuple[Any, ...]] = []
        for i, o in enumerate(orders):
            if i in skipped:
                continue
            c = o.customer
            customer = customer_at[c.platform_id] if c is not None and c.platform_id is not None else None
            created = o.created_at or stamp
            order_rows.append((None, *order_row(shop_id, o, customer, source, stamp), created, False))
            line_at: dict[str, int] = {}
            for li in o.lines:
                if li.platform_id is not None:
                    line_at[li.platform_id] = len(lines)
                # The product column holds the product's platform id until the writer looks it up.
                lines.append((None, *line_row(i, li, li.product_platform_id)))
            payment = payment_row(i, o, stamp)
            if payment is not None:
                payments.append(payment)
            for f in o.fulfillments:
                at = len(fulfillments)
                fulfillments.append((None, *fulfillment_row(i, f, stamp)))
                fulfillment_lines.extend((at, line_at[pid], q) for pid, q in f.lines if pid in line_at)
            for rf in o.refunds:
                at = len(refunds)
                refunds.append((None, *refund_row(i, rf, stamp, arrival)))
                refund_lines.extend(
                    (at, line_at[rl.line_platform_id], rl.quantity, rl.amount, rl.restock) for rl in rf.lines
                )
                refund_transactions.extend(
                    refund_transaction_row(i, rf, tx, at, stamp) for tx in rf.transactions
                )
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
        r = self.sqlite
        # marshal: plain lists of numbers and text, sent and read back several times faster than pickle.
        return marshal.dumps({name: [r[name](row) for row in rows] for name, rows in built.items()})


def _arrival(days: tuple[int, int], made: date) -> tuple[date, date]:
    """The business-day window a refund made on ``made`` arrives in, for the plan's settings."""
    return refund_arrival_window(made, *days)


def _customers(
    orders: list[MappedOrder], pids: list[str]
) -> tuple[list[MappedCustomer], list[tuple[str, datetime | None, int]], dict[str, int]]:
    """The batch's customers: the latest version of each, in order of first appearance (as upsert_customers)."""
    customer_at: dict[str, int] = {}
    customers: list[MappedCustomer] = []
    keys: list[tuple[str, datetime | None, int]] = []
    last_of = {pid: i for i, pid in enumerate(pids)}
    for i, o in enumerate(orders):
        c = o.customer
        if c is None or c.platform_id is None or last_of[o.platform_id] != i:
            continue  # an order a later copy in the batch replaces brings no customer
        at = customer_at.get(c.platform_id)
        if at is None:
            customer_at[c.platform_id] = len(customers)
            customers.append(c)
            keys.append((c.platform_id, c.platform_updated_at, i))
            continue
        seen = keys[at][1]
        if c.platform_updated_at is None or seen is None or c.platform_updated_at >= seen:
            customers[at] = c
            keys[at] = (c.platform_id, c.platform_updated_at, i)
    return customers, keys, customer_at


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
