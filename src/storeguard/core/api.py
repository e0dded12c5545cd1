"""What every JSON route shares: the session, the acting key, pagination and error answers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from types import UnionType
from typing import Annotated, Any, Generic, Protocol, TypeVar, Union, get_args, get_origin

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from storeguard.core.actor import Actor
from storeguard.core.apikeys import authenticate
from storeguard.core.db import READ_ONLY, pool_overflow, read_only_engine
from storeguard.core.enums import Role
from storeguard.core.errors import CommonError, DomainError, Forbidden
from storeguard.core.http import WEBHOOK_PREFIX
from storeguard.core.permissions import Permission
from storeguard.core.permissions import required_role as required_permission_role
from storeguard.core.prepared import Driver, reading, reading_on
from storeguard.core.schemas import DB_INT_MAX

PROBLEM_JSON = "application/problem+json"
READING_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session for one request; the route commits, this only closes.

    An async dependency runs on the event loop instead of costing a threadpool hop each way;
    opening a session touches no connection (the first statement, in the route, does).

    No more requests hold a session at once than the pool has connections (``session_slots``):
    a request keeps its connection from the key check (one threadpool call) to the route
    (another), so with more admitted, every connection could be held by requests waiting for a
    thread while every thread waited for a connection, and the process stood still.
    """
    slots: asyncio.Semaphore | None = getattr(request.app.state, "session_slots", None)
    if slots is not None:
        await slots.acquire()
    try:
        with request.app.state.session_factory() as session:
            if request.method in READING_METHODS:
                # A read asks for a deferred transaction: on SQLite it then never waits for a writer.
                session.connection(execution_options={READ_ONLY: True})
            yield session
    finally:
        if slots is not None:
            slots.release()


def session_slots(engine: Engine | None) -> asyncio.Semaphore | None:
    """Return the limit of requests holding a session at once: the engine's pool's connections."""
    pool = engine.pool if engine is not None else None
    if not isinstance(pool, QueuePool):
        return None
    overflow = pool_overflow(pool)
    return None if overflow < 0 else asyncio.Semaphore(pool.size() + overflow)


SessionDep = Annotated[Session, Depends(get_session)]


class Reader:
    """Opens what a hot read-only route runs on (checkout screening), and says where to run it.

    With an engine: a pooled connection in a transaction rolled back after, and no session (that
    would cost more than the route's lookups) unless a rare step asks for one. An app built on a
    session factory alone reads through a session from it. Tests put their own in ``app.state.reader``.
    """

    def __init__(self, engine: Engine | None, session_factory: Callable[[], Session]) -> None:
        # On PostgreSQL reads go through an autocommit, read-only engine of their own.
        self._own_engine = engine is not None and engine.dialect.name == "postgresql"
        self.engine = read_only_engine(engine) if self._own_engine else engine  # type: ignore[arg-type]
        self.session_factory = session_factory
        self._on_loop: bool | None = None
        # On SQLite, one connection kept for the first thread that reads (the event loop's):
        # checking a connection out of the pool and back cost 30 us a request. Other threads, and
        # a read opened inside another, take one from the pool as usual.
        self._kept: Connection | None = None
        self._kept_by: int | None = None
        self._lock = threading.Lock()

    @contextmanager
    def open(self) -> Iterator[Driver]:
        if self.engine is None:
            with self.session_factory() as session:
                yield Driver(session)
            return
        connection = self._kept_connection() if self.on_loop else None
        if connection is None:
            with reading(self.engine) as db:
                yield db
            return
        with reading_on(connection) as db:
            yield db

    def close(self) -> None:
        """Give the kept connection back to the pool (the app's shutdown)."""
        with self._lock:
            connection, self._kept, self._kept_by = self._kept, None, None
        if connection is not None:
            connection.close()
        if self._own_engine and self.engine is not None:
            self.engine.dispose()

    def _kept_connection(self) -> Connection | None:
        """Return this thread's kept connection, free to begin a read, or None to use the pool."""
        assert self.engine is not None
        me = threading.get_ident()
        with self._lock:
            if self._kept_by is None:
                self._kept_by = me
        if self._kept_by != me:
            return None
        connection = self._kept
        if connection is not None and connection.in_transaction():
            return None  # opened inside another read on this thread
        if connection is None or connection.closed or connection.invalidated:
            if connection is not None:
                connection.close()
            connection = self._kept = self.engine.connect()
        return connection

    @property
    def on_loop(self) -> bool:
        """Tell whether to run on the event loop: yes for in-process SQLite.

        SQLite has no network wait to overlap, so a threadpool hop would be pure cost; a server
        database's round trips would stall every other request on the loop.
        """
        if self._on_loop is None:
            if self.engine is not None:
                self._on_loop = self.engine.dialect.name == "sqlite"
            else:
                with self.session_factory() as session:
                    self._on_loop = session.get_bind().dialect.name == "sqlite"
        return self._on_loop


# Declares the bearer scheme in the OpenAPI (the Authorize button in /docs); the key itself is
# checked by ``authorize``, so this never refuses on its own.
bearer = HTTPBearer(auto_error=False, description="An API key from `storeguard apikey create`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def require(role: Role) -> Callable[..., Actor]:
    """Build a dependency that authenticates the key and demands at least ``role``."""

    def dependency(request: Request, session: SessionDep, _credentials: BearerDep) -> Actor:
        found = getattr(request.state, "actor", None)  # checked first by check_key_first
        return found if found is not None and found.can(role) else authorize(session, request, role)

    dependency.required_role = role  # type: ignore[attr-defined]  # read when a body is refused
    return dependency


def check_key_first(request: Request, session: SessionDep) -> None:
    """Check the key against the role the matched route demands, before anything else it depends on.

    FastAPI solves a route's dependencies in the order its signature names them, so a route that
    loads its target (``CurrentCustomer``) before its actor would answer 404 to an anonymous
    caller, telling them what exists. The app puts this ahead of every domain route; the route's
    own role dependency then reuses the actor found here.
    """
    role = required_role(request)
    if role is not None:
        request.state.actor = authorize(session, request, role)


def refuse_unknown_query(request: Request) -> None:
    """Refuse a query parameter the route does not read: 422 naming it, as a body's unknown field is.

    A misspelt filter (``?stauts=open``) would otherwise list everything, and a misspelt
    ``?reason=`` on a delete would drop the reason without a word. Webhook routes are left alone:
    a platform, not the merchant, decides what their URLs carry.
    """
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if not request.query_params or dependant is None or request.url.path.startswith(WEBHOOK_PREFIX):
        return
    known = _declared_query(dependant)
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "Extra inputs are not permitted",
                    "input": request.query_params[name],
                }
                for name in unknown
            ]
        )


def _declared_query(dependant: Dependant) -> frozenset[str]:
    """Return every query parameter name a route and its dependencies read (a query model's fields too)."""
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        for field in current.query_params:
            model = field.field_info.annotation
            if get_origin(model) in (Union, UnionType):  # an optional model: Filter | None
                model = next((a for a in get_args(model) if a is not type(None)), model)
            if isinstance(model, type) and issubclass(model, BaseModel):
                names.update(f.alias or n for n, f in model.model_fields.items())
            else:
                names.add(field.alias)
        stack.extend(current.dependencies)
    return frozenset(names)


def required_role(request: Request) -> Role | None:
    """Return the role the matched route demands, or None for a public route."""
    route = request.scope.get("route")
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        role = getattr(dependant.call, "required_role", None)
        if role is not None:
            return role
        stack.extend(dependant.dependencies)
    return getattr(getattr(route, "endpoint", None), "required_role", None)


def authorize(session: Session | Driver, request: Request, role: Role) -> Actor:
    """Authenticate the request's bearer key and demand at least ``role`` (401, 403 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    actor = authenticate(session, token if scheme.lower() == "bearer" else None)
    if not actor.can(role):
        raise Forbidden(
            CommonError.role_too_weak, f"this needs the {role.value} role; the key has {actor.role.value}"
        )
    return actor


def permitted(permission: Permission) -> Callable[..., Actor]:
    """Build the dependency of a route that does ``permission``'s work: the role the table gives it."""
    return require(required_permission_role(permission))


CanRead = Annotated[Actor, Depends(permitted(Permission.read))]
CanWorkOrders = Annotated[Actor, Depends(permitted(Permission.work_orders))]
CanReadAudit = Annotated[Actor, Depends(permitted(Permission.read_audit))]
CanReviewOrders = Annotated[Actor, Depends(permitted(Permission.review_orders))]
CanBlockCustomers = Annotated[Actor, Depends(permitted(Permission.block_customers))]
CanWriteRules = Annotated[Actor, Depends(permitted(Permission.write_rules))]
CanManageSecrets = Annotated[Actor, Depends(permitted(Permission.manage_secrets))]
CanManageSettings = Annotated[Actor, Depends(permitted(Permission.manage_settings))]
CanErasePersonalData = Annotated[Actor, Depends(permitted(Permission.erase_personal_data))]

# Routes not yet moved to a permission name the role itself.
Viewer = Annotated[Actor, Depends(require(Role.viewer))]
Agent = Annotated[Actor, Depends(require(Role.agent))]
Admin = Annotated[Actor, Depends(require(Role.admin))]
Owner = Annotated[Actor, Depends(require(Role.owner))]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: the items, how many there are in all, and where this page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Paging(BaseModel):
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0
) -> Paging:
    """Read ``limit`` and ``offset`` from the query string."""
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def problem_response(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Return a problem-details answer."""
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_problem(request: Request, exc: DomainError) -> JSONResponse:
    headers = None
    if exc.status == 401 and not request.url.path.startswith(WEBHOOK_PREFIX):
        headers = {"WWW-Authenticate": 'Bearer realm="storeguard"'}
    return problem_response(exc.status, exc.problem(str(request.url.path)), headers)


def _refusal_of_key(request: Request, role: Role) -> DomainError | None:
    """Return why the request's key may not use a route that demands ``role``, or None if it may."""
    with request.app.state.reader.open() as db:
        try:
            authorize(db, request, role)
        except DomainError as exc:
            return exc
    return None


class PageErrors(Protocol):
    """How the admin pages answer a refusal: an HTML page (or a redirect to log in), not JSON."""

    def is_page(self, request: Request) -> bool: ...

    def answer(
        self, request: Request, error: DomainError | StarletteHTTPException | RequestValidationError
    ) -> Response: ...


def install_error_handlers(app: FastAPI, pages: PageErrors | None = None) -> None:
    """Answer every refusal as RFC 9457 problem details with a machine ``code`` (pages: as a page)."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if pages is not None and pages.is_page(request):
            return pages.answer(request, exc)
        return _domain_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if pages is not None and pages.is_page(request):
            return pages.answer(request, exc)
        # Who is asking comes before what was sent: an anonymous caller learns nothing of the
        # route's fields, and a too weak key is told so whatever its body.
        role = required_role(request)
        if role is not None:
            reader: Reader = request.app.state.reader
            if reader.on_loop:
                refusal = _refusal_of_key(request, role)
            else:
                refusal = await run_in_threadpool(_refusal_of_key, request, role)
            if refusal is not None:
                return _domain_problem(request, refusal)
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or None,
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        # A misspelt field is both unknown and (when required) missing: name the one the caller wrote.
        errors.sort(key=lambda err: err["type"] != "extra_forbidden")
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        body = {
            "type": f"https://storeguard.dev/problems/{CommonError.validation_failed}",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['field']}: {first['message']}" if first["field"] else first["message"],
            "code": CommonError.validation_failed.value,
            "field": first["field"],
            "errors": errors,
            "instance": str(request.url.path),
        }
        return problem_response(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if pages is not None and pages.is_page(request):
            return pages.answer(request, exc)
        code = {
            404: CommonError.not_found,
            405: CommonError.method_not_allowed,
            401: CommonError.unauthorized,
            413: CommonError.body_too_large,
        }.get(exc.status_code, CommonError.http_error).value
        body = {
            "type": f"https://storeguard.dev/problems/{code}",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "code": code,
            "instance": str(request.url.path),
        }
        # Keep what the exception says of itself: 405's Allow, 401's WWW-Authenticate.
        return problem_response(exc.status_code, body, headers=exc.headers)
