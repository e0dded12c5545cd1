"""What every JSON route shares: the session, the acting key, pagination and error answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from storeguard.core.actor import Actor
from storeguard.core.apikeys import authenticate
from storeguard.core.enums import Role
from storeguard.core.errors import DomainError, Forbidden

PROBLEM_JSON = "application/problem+json"


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session for one request; the route commits, this only closes.

    An async dependency runs on the event loop instead of costing a threadpool hop each way;
    opening a session touches no connection (the first statement, in the route, does).
    """
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require(role: Role) -> Callable[..., Actor]:
    """Build a dependency that authenticates the key and demands at least ``role``."""

    def dependency(request: Request, session: SessionDep) -> Actor:
        return authorize(session, request, role)

    return dependency


def authorize(session: Session, request: Request, role: Role) -> Actor:
    """Authenticate the request's bearer key and demand at least ``role`` (401, 403 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    actor = authenticate(session, token if scheme.lower() == "bearer" else None)
    if not actor.can(role):
        raise Forbidden("role_too_weak", f"this needs the {role.value} role; the key has {actor.role.value}")
    return actor


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
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0
) -> Paging:
    """Read ``limit`` and ``offset`` from the query string."""
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def problem_response(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every refusal as RFC 9457 problem details with a machine ``code``."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc.status, exc.problem(str(request.url.path)))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        body = {
            "type": "https://storeguard.dev/problems/validation_failed",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['field']}: {first['message']}" if first["field"] else first["message"],
            "code": "validation_failed",
            "field": first["field"],
            "errors": errors,
            "instance": str(request.url.path),
        }
        return problem_response(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        body = {
            "type": f"https://storeguard.dev/problems/{code}",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "code": code,
            "instance": str(request.url.path),
        }
        return problem_response(exc.status_code, body)
