"""Core statements compiled once per dialect and run on the session's own driver connection.

On hot paths (checkout screening) SQLAlchemy spends more time building a statement, computing
its cache key and wrapping rows than an indexed lookup takes in the database. A ``Prepared``
keeps the statement written once with SQLAlchemy (so the SQL has a single definition, shared with
the slower callers), compiles it once per dialect and shape, and then only converts the bound
values and hands them to the driver, inside the session's transaction.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, product
from operator import itemgetter
from typing import Any, TypeVar

from psycopg import RawCursor
from sqlalchemy import ColumnElement, String, literal, literal_column, true
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause, Join

from storeguard.core.db import READ_ONLY, UTCDateTime, sqlite_utc_text

T = TypeVar("T")


def padded(values: Sequence[T]) -> list[T]:
    """Pad a non-empty IN list to the next power of two by repeating its last value.

    A repeated value changes no IN test, and a statement compiled per list length then has a
    handful of shapes instead of one per length.
    """
    size = 1
    while size < len(values):
        size *= 2
    return list(values) + [values[-1]] * (size - len(values))


class CrossJoin(Join):
    """``left CROSS JOIN right``: the join's conditions go in the WHERE clause.

    SQLite keeps the left table as the outer loop of a CROSS JOIN whatever its statistics say (a
    plain join may be reordered); PostgreSQL plans it with its WHERE like any other join.
    """

    inherit_cache = True

    def __init__(self, left: FromClause, right: FromClause) -> None:
        super().__init__(left, right, true())  # the ON clause is never rendered


@compiles(CrossJoin)
def _compile_cross_join(join: CrossJoin, compiler: SQLCompiler, **kw: Any) -> str:
    kw["asfrom"] = True
    from_linter = kw.get("from_linter")
    if from_linter is not None:  # the WHERE clause joins them, as it would an implicit join
        from_linter.edges.update(product(join.left._from_objects, join.right._from_objects))
    left = join.left._compiler_dispatch(compiler, **kw)
    return f"{left} CROSS JOIN {join.right._compiler_dispatch(compiler, **kw)}"


def cross_join(left: FromClause, right: FromClause) -> CrossJoin:
    """Return ``left CROSS JOIN right``, to fix the order SQLite loops over the two tables in."""
    return CrossJoin(left, right)


def constant(value: str) -> ColumnElement[str]:
    """Return a string constant written into the statement's text instead of bound.

    SQLite prepares a statement again on every run when a bound value could decide whether a
    partial index applies (``status = ?`` on a table indexed ``WHERE status = 'active'``): at
    checkout that cost ten times the index search. Written in, the text is prepared once.
    """
    written = literal(value, String()).compile(compile_kwargs={"literal_binds": True})
    return literal_column(str(written), String())


def _sqlite_time(value: Any) -> Any:
    return None if value is None else sqlite_utc_text(value)


def _picker(order: tuple[str, ...] | None) -> Callable[[Mapping[str, Any]], tuple[Any, ...]] | None:
    """Return what takes a positional statement's values out of a mapping, in order (None: named)."""
    if order is None:
        return None
    if len(order) == 1:
        name = order[0]
        return lambda params: (params[name],)
    return itemgetter(*order)


class _Compiled:
    """One statement compiled for one dialect: its SQL, parameter order and value converters."""

    __slots__ = ("sql", "order", "_pick", "defaults", "binds", "results", "width")

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        # Positional styles (SQLite's ?) list the names in order; named styles (psycopg) take a dict.
        self.order: tuple[str, ...] | None = tuple(compiled.positiontup) if compiled.positiontup else None
        self._pick = _picker(self.order)
        # The statement's own constants (status names, LIKE patterns); the caller supplies the rest.
        self.defaults = dict(compiled.construct_params(_check=False))
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():  # by the name in the SQL (anonymous ones too)
            if dialect.name == "sqlite" and isinstance(bind.type, UTCDateTime):
                self.binds[name] = _sqlite_time  # the same text, several times cheaper
                continue
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.binds[name] = processor
        self.width = len(stmt.selected_columns)  # how many columns a row has
        self.results: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column in enumerate(stmt.selected_columns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                self.results.append((i, processor))

    def convert(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Return the rows with their values converted as the ORM would (JSON, timestamps)."""
        results, converted = self.results, []
        for row in rows:
            out = list(row)
            for i, processor in results:
                out[i] = processor(out[i])
            converted.append(tuple(out))
        return converted

    def parameters(self, values: Mapping[str, Any]) -> Any:
        params = {**self.defaults, **values}
        if self.binds:
            for name, processor in self.binds.items():
                params[name] = processor(params[name])
        return self._pick(params) if self._pick is not None else params


class Driver:
    """The driver connection a run of prepared statements uses, taken once.

    Made from a session (``Driver(session)``: pending ORM changes are flushed first, as
    ``Session.execute`` would, so they are visible) or opened for a read-only hot path by
    ``reading(engine)``, which skips the session altogether: opening and closing a session costs
    several times a checkout screening's index lookups. The rare step that needs the ORM asks for
    ``.session``, a session on the same connection and transaction, made on first use.
    """

    __slots__ = ("dialect", "dbapi", "_session", "_connection", "_ahead")

    def __init__(self, session: Session | None = None, *, connection: Connection | None = None) -> None:
        if session is not None:
            if session.autoflush:
                session.flush()
            connection = session.connection()
        elif connection is None:
            raise TypeError("Driver needs a session or a connection")
        self._session = session
        self._connection = connection
        self.dialect: Dialect = connection.dialect
        self.dbapi: Any = connection.connection.dbapi_connection
        # Rows read ahead (``ahead``), by statement and parameters, until a run asks for them.
        self._ahead: dict[tuple[str, Hashable], list[tuple[Any, ...]]] = {}

    @property
    def engine(self) -> Engine:
        """Return the engine of this connection (a key for per-process caches of its data)."""
        return self._connection.engine

    @property
    def session(self) -> Session:
        """Return the ORM session on this connection (made on first use when there was none)."""
        if self._session is None:
            self._session = Session(bind=self._connection, autoflush=False, expire_on_commit=False)
        return self._session

    def ahead(self, runs: Iterable[tuple[Prepared, Mapping[str, Any], tuple[Any, ...]]]) -> None:
        """Run several statements the caller will run next as one statement, and keep their rows.

        On PostgreSQL every statement costs the client and the server a fixed share (a
        transaction, a snapshot, an executor, a wait for the answer) that a checkout's handful of
        indexed reads spend more on than on the index searches. The statements are sent as one
        (``_Together``), each answering in its own columns; each ``Prepared.rows`` asking for the
        same statement with the same values then takes its rows, once. (psycopg's pipeline saved
        the waits but not the rest: measured, no faster than running them one by one.) SQLite has
        no such cost to save: nothing is done. If the statement fails nothing is kept: run again,
        each fails where it is asked for.

        Only on the checkout's autocommit reads (``reading``): inside a write transaction a failed
        statement would abort the caller's transaction, so a write's connection is left alone.
        """
        if not self.reads_ahead:
            return
        parts: list[_Compiled] = []
        params: list[Mapping[str, Any]] = []
        for prepared, given, shape in runs:
            compiled = prepared._for(self.dialect, shape)
            values = compiled.parameters(given)
            if (compiled.sql, _key(values)) in self._ahead:
                continue  # read ahead already, and not taken yet
            parts.append(compiled)
            params.append(values)
        if not parts:
            return
        together = _together(tuple(parts))
        cursor = RawCursor(self.dbapi)
        try:
            cursor.execute(together.sql, together.values(params))
            rows = cursor.fetchall()
        except self.dialect.loaded_dbapi.Error:
            self._ahead.clear()
            return
        finally:
            cursor.close()
        for compiled, values, part_rows in zip(parts, params, together.split(rows), strict=True):
            self._ahead[(compiled.sql, _key(values))] = part_rows

    @property
    def reads_ahead(self) -> bool:
        """Tell whether ``ahead`` reads anything here (else a caller need not work out what to send)."""
        return self.dialect.name == "postgresql" and bool(self.dbapi.autocommit)

    def forget_ahead(self) -> None:
        """Drop rows read ahead that nobody asked for (so none is served after a later write)."""
        self._ahead.clear()

    def take_ahead(self, sql: str, params: Any) -> list[tuple[Any, ...]] | None:
        """Return (once) the rows ``ahead`` read for this statement and these values, or None."""
        return self._ahead.pop((sql, _key(params)), None) if self._ahead else None

    def run(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        """Run SQL compiled for this dialect (``Prepared`` does) with its parameters; return every row."""
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


# Named placeholders as psycopg reads them (SQLAlchemy writes a literal percent sign as two).
_PLACEHOLDER = re.compile(r"(?<!%)%\((\w+)\)s")


class _Together:
    """Several statements run as one on PostgreSQL, and how to split its rows back.

    Each statement is a subquery behind a number of its own, and the subqueries are joined by
    ``FULL JOIN .. ON false``: every row of each comes out once, in its own columns, with the
    others' NULL. (A UNION ALL would need every column's type spelled out for the NULLs that
    fill the other statements' columns; the join keeps each statement's types as they are.)
    The SQL is written with PostgreSQL's own numbered placeholders and run on a raw cursor:
    psycopg parses a statement this long for its named placeholders on every run (it caches only
    short ones), which cost more than the statement itself.
    """

    __slots__ = ("sql", "names", "_slices")

    def __init__(self, parts: tuple[_Compiled, ...]) -> None:
        sides, self._slices, at = [], [], 0
        numbers: dict[tuple[int, str], int] = {}

        def number(i: int, name: str) -> str:
            return f"${numbers.setdefault((i, name), len(numbers) + 1)}"

        for i, part in enumerate(parts):
            sql = _PLACEHOLDER.sub(lambda m, i=i: number(i, m.group(1)), part.sql)  # type: ignore[misc]
            sides.append(f"(SELECT {i} AS part_{i}, q.* FROM ({sql.replace('%%', '%')}) AS q) AS s{i}")
            self._slices.append((at, at + 1, at + 1 + part.width))
            at += 1 + part.width
        self.sql = "SELECT * FROM " + " FULL JOIN ".join(
            side if i == 0 else f"{side} ON false" for i, side in enumerate(sides)
        )
        self.names = list(numbers)  # (statement, name) of each placeholder, in number order

    def values(self, params: list[Mapping[str, Any]]) -> list[Any]:
        """Return the placeholders' values from each statement's own parameters."""
        return [params[i][name] for i, name in self.names]

    def split(self, rows: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
        """Return each statement's rows, in the order the statements were given."""
        out: list[list[tuple[Any, ...]]] = [[] for _ in self._slices]
        for row in rows:
            for i, (tag, start, end) in enumerate(self._slices):
                if row[tag] is not None:
                    out[i].append(row[start:end])
                    break
        return out


_togethers: dict[tuple[_Compiled, ...], _Together] = {}
_TOGETHERS_KEPT = 1024


def _together(parts: tuple[_Compiled, ...]) -> _Together:
    found = _togethers.get(parts)
    if found is None:
        found = _Together(parts)
        if len(_togethers) >= _TOGETHERS_KEPT:  # shapes are few; never grow without bound
            _togethers.clear()
        _togethers[parts] = found
    return found


def _key(params: Any) -> Hashable:
    """Return a statement's parameters (a mapping or a sequence) as something a dict can key on."""
    return tuple(sorted(params.items())) if isinstance(params, Mapping) else tuple(params)


@contextmanager
def reading(engine: Engine) -> Iterator[Driver]:
    """Open one pooled connection in a read-only transaction and yield its driver; roll back after.

    For hot paths that only read (checkout screening): no session is made unless a step asks for
    one, and whatever happens, nothing is written.
    """
    with engine.connect() as connection, reading_on(connection) as db:
        yield db


@contextmanager
def reading_on(connection: Connection) -> Iterator[Driver]:
    """Run a read-only transaction on a connection the caller keeps open, and yield its driver."""
    connection.execution_options(**{READ_ONLY: True})  # on SQLite: never wait for a writer
    connection.begin()
    db = Driver(connection=connection)
    try:
        yield db
    finally:
        if db._session is not None:
            db._session.close()
        connection.rollback()


def driver(target: Session | Driver) -> Driver:
    """Return ``target`` if it is already a driver handle, else take one from the session."""
    return target if isinstance(target, Driver) else Driver(target)


class Prepared:
    """A statement built by ``build(*shape)``, compiled once per (dialect, shape), run on the driver.

    ``shape`` is whatever changes the SQL text (how many keys an IN list has); values change only
    the parameters. Rows come back as tuples, converted as the ORM would (JSON, timestamps).
    """

    def __init__(self, build: Callable[..., Select[Any]]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect, shape: tuple[Any, ...]) -> _Compiled:
        key = (dialect.name, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = _Compiled(self.build(*shape), dialect)
            with self._lock:
                self._compiled[key] = compiled
        return compiled

    def rows(
        self, session: Session | Driver, values: Mapping[str, Any], shape: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Run the statement with ``values`` in the session's transaction and return every row."""
        db = session if session.__class__ is Driver else driver(session)
        compiled = self._compiled.get((db.dialect.name, shape)) or self._for(db.dialect, shape)
        params = compiled.parameters(values)
        rows = db.take_ahead(compiled.sql, params) if db._ahead else None
        if rows is None:
            rows = db.run(compiled.sql, params)
        return compiled.convert(rows) if compiled.results else rows

    def stream(
        self,
        session: Session | Driver,
        values: Mapping[str, Any],
        shape: tuple[Any, ...] = (),
        size: int = 20_000,
    ) -> Iterator[tuple[Any, ...]]:
        """Run the statement and yield its rows in batches, for scans too big to hold twice."""
        return chain.from_iterable(_batches(session, lambda d: self._for(d, shape), values, size))

    def one(
        self, session: Session | Driver, values: Mapping[str, Any], shape: tuple[Any, ...] = ()
    ) -> tuple[Any, ...]:
        """Run a statement that returns exactly one row (an aggregate) and return that row."""
        return self.rows(session, values, shape)[0]


def stream_once(session: Session, stmt: Select[Any], size: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """Run a statement built for one call (its SQL is not worth keeping) and yield its rows as tuples.

    For one big scan: the rows skip SQLAlchemy's row objects, as a ``Prepared`` statement's do.
    """
    return chain.from_iterable(_batches(session, lambda d: _Compiled(stmt, d), {}, size))


def _batches(
    session: Session | Driver, compile: Callable[[Dialect], _Compiled], values: Mapping[str, Any], size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Yield the rows in lists (run on the first request, as a query on the session would be).

    The caller chains the lists: a row then costs no Python call on its way out.
    """
    db = driver(session)
    compiled = compile(db.dialect)
    cursor = db.dbapi.cursor()
    try:
        cursor.execute(compiled.sql, compiled.parameters(values))
        while batch := cursor.fetchmany(size):
            yield compiled.convert(batch) if compiled.results else batch
    finally:
        cursor.close()
