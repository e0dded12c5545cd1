"""Each customer's profile: the eight history numbers checkout screening reads, kept current.

A checkout used to aggregate the customer's orders, refunds, lines and disputes on every call.
Now every write that changes them recomputes the customer's row in ``customer_profiles`` in its
own transaction, from history, with the very statement screening aggregated with
(``metrics_select``) and one upsert: exact by construction, and cheap because it reads one
customer's history. The write is found by risk's session listener (``risk.freshness``), which
already reads each flush for the customers whose history it changed; no action has to remember.

Two writers of one customer's history never compute from each other's old state: each has
marked the customer stale for risk first (one row lock per customer, held to commit), so the
second waits for the first to commit before it recomputes. A bulk refresh (``refresh_profiles``:
the mirror writer's batches) marks its customers first in the same way; ``storeguard profiles
rebuild`` locks the profile rows themselves, a short transaction per batch.

Writes that bypass the ORM (the mirror writer's batch inserts, the demo loader) refresh the
customers they touched in one set-based statement per batch. ``verify_profiles`` compares every
kept row with one rebuilt from history; screening never waits for either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Insert, cast, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.orders.models import Order
from storeguard.risk.freshness import Touched, after_history_written, mark_stale
from storeguard.screening.metrics import CUSTOMER_ID, metrics_by_customer, metrics_select
from storeguard.screening.models import PROFILE_NUMBERS, CustomerProfile

BATCH = 1000
_TABLE = CustomerProfile.__table__


def _insert(dialect: str) -> Callable[..., Any]:
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _upsert(dialect: str, source: Any) -> Insert:
    """INSERT the (numbers..., customer id) rows ``source`` selects, replacing a customer's kept row."""
    stmt = _insert(dialect)(_TABLE).from_select([*PROFILE_NUMBERS, "customer_id"], source)
    return stmt.on_conflict_do_update(
        index_elements=["customer_id"], set_={name: stmt.excluded[name] for name in PROFILE_NUMBERS}
    )


# One customer's refresh: screening's own aggregate, its result upserted. Built once per dialect
# (SQLAlchemy then caches its compiled form). The WHERE (the customer exists) is also the one
# SQLite's upsert after a SELECT with joins needs.
_ONE: dict[str, Insert] = {}


def _refresh_one(dialect: str) -> Insert:
    stmt = _ONE.get(dialect)
    if stmt is None:
        exists = select(Customer.id).where(Customer.id == CUSTOMER_ID).exists()
        source = metrics_select(CUSTOMER_ID).add_columns(cast(CUSTOMER_ID, BigInteger)).where(exists)
        stmt = _ONE[dialect] = _upsert(dialect, source)
    return stmt


def refresh_profile(session: Session, customer_id: int) -> None:
    """Recompute one customer's profile from their history and store it (one statement; no commit)."""
    connection = session.connection()
    connection.execute(_refresh_one(connection.dialect.name), {"customer_id": customer_id})


def _rebuilt(customer_ids: Sequence[int]) -> Any:
    """Select each customer's numbers rebuilt from history, then their id (the upsert's columns)."""
    by_customer = metrics_by_customer(list(customer_ids)).subquery("rebuilt")
    columns = list(by_customer.c)
    return select(*columns[1:], columns[0]).where(true())


def history_written(session: Session, shop_id: int, customer_ids: Iterable[int]) -> None:
    """After rows written without the ORM (the mirror writer's batches): do what the listener does.

    The customers are marked stale for risk first, as an ORM write marks them (which also makes a
    concurrent writer of their history wait for this one), then their profiles are refreshed.
    """
    ids = sorted(set(customer_ids))
    if ids:
        mark_stale(session, Touched(dict.fromkeys(ids, shop_id), set(), set(), set()))
        refresh_profiles(session, ids)


def refresh_profiles(session: Session, customer_ids: Iterable[int], *, lock: bool = False) -> int:
    """Recompute the profiles of many customers, a set-based statement per batch; return how many.

    With ``lock`` (a rebuild beside live writes, on PostgreSQL) the rows are locked first, in key
    order, so a history write committing while the batch reads is waited for and counted rather
    than overwritten by an older count. Writers hold their customers' risk marks instead.
    """
    ids = sorted(set(customer_ids))
    connection = session.connection()
    dialect = connection.dialect.name
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        if lock and dialect == "postgresql":
            lock = pg_insert(_TABLE).from_select(
                ["customer_id"], select(Customer.id).where(Customer.id.in_(batch)).order_by(Customer.id)
            )
            connection.execute(
                lock.on_conflict_do_update(
                    index_elements=["customer_id"], set_={"orders_count": _TABLE.c.orders_count}
                )
            )
        connection.execute(_upsert(dialect, _rebuilt(batch)))
    return len(ids)


def customers_of_orders(session: Session, order_ids: Iterable[int]) -> set[int]:
    """Return the customers of these orders (for a bulk write that knows its orders)."""
    ids = sorted(set(order_ids))
    found: set[int] = set()
    for start in range(0, len(ids), BATCH):
        found.update(
            session.scalars(
                select(Order.customer_id).where(
                    Order.id.in_(ids[start : start + BATCH]), Order.customer_id.is_not(None)
                )
            )
        )
    return found


def _keep_current(session: Session, t: Touched) -> None:
    """Refresh the profile of every customer whose order history this flush changed."""
    customers = set(t.histories)
    if t.history_orders:
        customers |= customers_of_orders(session, t.history_orders)
    for customer_id in sorted(customers):
        refresh_profile(session, customer_id)


after_history_written.append(_keep_current)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A customer whose kept profile differs from the one rebuilt from history."""

    customer_id: int
    kept: tuple[int, ...] | None  # None: no row kept
    rebuilt: tuple[int, ...]


def _customer_batches(session: Session, customer_id: int | None) -> Iterator[list[int]]:
    """Yield every customer's id (or just the one asked for), a batch at a time, in key order."""
    if customer_id is not None:
        yield [customer_id]
        return
    last = 0
    while True:
        batch = list(
            session.scalars(select(Customer.id).where(Customer.id > last).order_by(Customer.id).limit(BATCH))
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def customer_count(session: Session) -> int:
    """How many customers a full verify or rebuild goes through."""
    return len(session.scalars(select(Customer.id)).all())


def verify_profiles(
    session: Session, *, customer_id: int | None = None, progress: Callable[[int], None] | None = None
) -> list[Disagreement]:
    """Compare every kept profile with one rebuilt from history; return the customers that differ.

    A customer without a kept row agrees when their history is empty (all zeros). Reads only.
    """
    kept_columns = [getattr(CustomerProfile, n) for n in PROFILE_NUMBERS]
    out: list[Disagreement] = []
    for batch in _customer_batches(session, customer_id):
        kept = {
            row[0]: tuple(int(v) for v in row[1:])
            for row in session.execute(
                select(CustomerProfile.customer_id, *kept_columns).where(
                    CustomerProfile.customer_id.in_(batch)
                )
            )
        }
        for row in session.execute(metrics_by_customer(batch)):
            cid, rebuilt = row[0], tuple(int(v or 0) for v in row[1:])
            mine = kept.get(cid)
            if mine != rebuilt and not (mine is None and not any(rebuilt)):
                out.append(Disagreement(cid, mine, rebuilt))
        if progress:
            progress(len(batch))
    return sorted(out, key=lambda d: d.customer_id)


def rebuild_profiles(
    session: Session, *, customer_id: int | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """Rebuild the profiles of every customer (or one) from history, committing per batch."""
    done = 0
    for batch in _customer_batches(session, customer_id):
        done += refresh_profiles(session, batch, lock=True)
        session.commit()
        if progress:
            progress(len(batch))
    return done
