"""Engine, sessions, the declarative base and the column types every domain shares."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    Integer,
    MetaData,
    create_engine,
    event,
    exc,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from storeguard.core.clock import ensure_utc

# Stable constraint names so Alembic migrations are the same on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# BIGINT keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# JSON documents: JSONB on PostgreSQL (indexable), JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC in Python, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; storeguard stores aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else ensure_utc(value)


def sqlite_utc_text(value: datetime) -> str:
    """Return an aware time as UTCDateTime stores it in SQLite ("2025-01-02 03:04:05.000000").

    The same text SQLAlchemy's bind processor writes, for hot paths that hand values to the driver.
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime given; storeguard stores aware UTC only")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


SQLITE_MMAP_BYTES = 1 << 30

# Execution option of a connection that only reads: on SQLite its transactions begin DEFERRED.
READ_ONLY = "storeguard_read_only"
SQLITE_BUSY_SECONDS = 30
_HOLDS_WRITE_LOCK = "storeguard_holds_write_lock"  # address space, not memory: the OS pages in what is read


# PostgreSQL connections per engine (steady + burst): as many as a process's request threads (the
# threadpool's 40) may use at once, so a burst never waits for, or opens and closes, connections.
# The checkout's read-only engine has as many again; PostgreSQL's default max_connections (100)
# holds one process's 80, so two processes per server need max_connections of 200 or a pooler.
POOL_SIZE = 20
POOL_OVERFLOW = 20
READ_POOL_SIZE = 20
READ_POOL_OVERFLOW = 20


def pool_overflow(pool: Any) -> int:
    """Return how many connections a queue pool opens beyond its size (negative: no limit)."""
    return int(pool._max_overflow)  # SQLAlchemy keeps it without a public reader


def make_engine(url: str, *, echo: bool = False, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings storeguard relies on."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS})
        engine = create_engine(url, echo=echo, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite starts transactions lazily on its own and never before a SAVEPOINT, so a
            # savepoint could be the outermost transaction and its RELEASE would commit (tests that
            # commit inside a rolled-back outer transaction leaked rows). SQLAlchemy emits BEGIN instead.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Read pages through a memory map instead of a read() call per page (the default page cache
            # is 2 MB, far smaller than a million-row index): checkout screening's median was about
            # 4 % lower with it, alternating runs on the scaled bench store.
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        # One writer at a time in this process waits on a lock, not on SQLite's busy handler: that
        # handler sleeps and polls, so under a steady stream of writes one waiter can lose every
        # race until its timeout runs out. Other processes still queue on the busy timeout.
        writing = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A write transaction takes the write lock when it begins (IMMEDIATE), so it waits its
            # turn under the busy timeout: a deferred BEGIN that reads and then writes fails at once
            # with "database is locked" when another writer got in between. Reads ask for a deferred
            # BEGIN (READ_ONLY) and, under WAL, never wait for a writer.
            # Straight to the driver: through exec_driver_sql it cost more than a screening's lookups.
            driver = conn.connection.driver_connection
            if conn.get_execution_options().get(READ_ONLY, False):
                driver.execute("BEGIN")
                return
            if not writing.acquire(timeout=SQLITE_BUSY_SECONDS):
                raise sqlite3.OperationalError(
                    "database is locked: another write in this process took too long"
                )
            try:
                driver.execute("BEGIN IMMEDIATE")
            except BaseException:
                writing.release()
                raise
            conn.info[_HOLDS_WRITE_LOCK] = True

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(conn: Any) -> None:
            if conn.info.pop(_HOLDS_WRITE_LOCK, False):
                writing.release()

        return engine
    # With SQLAlchemy's 5 + 10, a burst opened and closed PostgreSQL sessions all the time (103 in 65 s).
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    engine = create_engine(url, echo=echo, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out. SQLAlchemy's
# pool_pre_ping pings on every checkout: one more round trip for every request, a tenth of a
# checkout screening's time. A connection in use a moment ago is alive; one idle for a while may
# have been closed by a server restart, a failover or a firewall, and is replaced unseen.
PING_AFTER_IDLE_SECONDS = 5.0
_RETURNED_AT = "storeguard_returned_at"

# Statements on the checkout's read connections are prepared on the server at their first run
# (psycopg's default waits for the fifth): a process has up to 40 such connections and about
# twenty statement shapes, so with the default a fresh process planned each shape five times on
# every connection before it was prepared. Up to this many stay prepared on each connection.
READ_PREPARE_THRESHOLD = 0
READ_PREPARED_MAX = 256


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only when it sat idle in the pool a while."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # fresh from connect, or back in the pool a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # any failure: the pool opens a new connection instead
            raise exc.DisconnectionError(f"an idle pooled connection is gone: {error}") from error
        if not alive:
            raise exc.DisconnectionError("an idle pooled connection is gone")


def read_only_engine(engine: Engine) -> Engine:
    """Return an engine for hot read-only routes on PostgreSQL: autocommit, refused any write.

    Each statement is its own read-only transaction: no BEGIN and COMMIT round trips, and
    psycopg's prepared statements (made after a few runs on a connection) survive, where ending
    every read with a rollback had them planned again on every call. The server refuses any write
    (``default_transaction_read_only``), so "nothing is written" holds without a rollback. Each
    statement is prepared at its first run on a connection, and a connection is pinged only when
    it comes back from a long idle (``ping_when_idle``), not on every request.
    """
    reads = create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=READ_POOL_SIZE,
        max_overflow=READ_POOL_OVERFLOW,
        connect_args={
            "options": "-c default_transaction_read_only=on",
            "prepare_threshold": READ_PREPARE_THRESHOLD,
        },
    )

    @event.listens_for(reads, "connect")
    def _keep_prepared(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.prepared_max = READ_PREPARED_MAX

    ping_when_idle(reads)
    return reads


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory; sessions never auto-commit, the entry point commits."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def is_postgres(session_or_engine: Session | Engine) -> bool:
    """Tell whether the bound database is PostgreSQL (for row locks and upserts)."""
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def session_iter(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield one session and close it; committing is the caller's job."""
    with factory() as session:
        yield session


class json_list_contains(FunctionElement[bool]):  # noqa: N801 - reads like the SQL function it compiles to
    """``json_list_contains(column, value)``: true when a JSON list column holds ``value``.

    JSONB containment on PostgreSQL (index-friendly), ``json_each`` on SQLite.
    """

    type = Boolean()
    inherit_cache = True
    name = "json_list_contains"


@compiles(json_list_contains, "postgresql")
def _json_list_contains_pg(element: json_list_contains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return f"({compiler.process(column, **kw)} @> jsonb_build_array(CAST({compiler.process(value, **kw)} AS TEXT)))"


@compiles(json_list_contains)
def _json_list_contains_default(element: json_list_contains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (
        f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) "
        f"WHERE json_each.value = {compiler.process(value, **kw)})"
    )
