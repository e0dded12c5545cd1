"""The HTTP edge every request passes: a request id, a body size limit, and a last-resort 500.

A write that lost a race inside the database (PostgreSQL chose it as a deadlock's victim, or
could not serialize it, or a lock wait ran out; SQLite stayed locked too long) changed nothing
and may simply be sent again: it is answered 503 ``write_conflict`` with ``Retry-After``, not 500.

A pure ASGI middleware (no BaseHTTPMiddleware: that would buffer and cost the checkout route a
task hop). It sits inside Starlette's ServerErrorMiddleware, so an unexpected error is answered
here as problem details and never re-raised: uvicorn closes a keep-alive connection on an
exception that escapes the app, and the client's next, unrelated request then fails.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeguard.core.errors import CommonError

log = logging.getLogger("storeguard.http")

PROBLEM_JSON = b"application/problem+json"
HTML = b"text/html; charset=utf-8"
REQUEST_ID_HEADER = b"x-request-id"
_GOOD_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,100}")
# PostgreSQL's answers to a transaction that lost a race: deadlock victim, serialization failure,
# lock wait timed out. Each rolled the whole transaction back.
_LOST_RACE_STATES = frozenset({"40P01", "40001", "55P03"})
WEBHOOK_PREFIX = "/webhooks/"
INBOUND_PREFIX = "/v1/inbound/"  # raw mail a relay posts, attachments included: a webhook's limit
# Routes that take a file (a list import, a photo): their body may reach ``max_upload_bytes``.
UPLOAD_PATHS: list[re.Pattern[str]] = []


def allow_upload(path: str) -> None:
    """Let a route's body be as large as an uploaded file may be; ``{name}`` stands for one path part.

    The route reads the body as a stream (to disk, or up to its own smaller limit), never whole.
    """
    pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path))
    UPLOAD_PATHS.append(re.compile(pattern + "$"))


def is_upload(path: str) -> bool:
    """Tell whether a path takes a file."""
    return any(p.match(path) for p in UPLOAD_PATHS)


async def read_at_most(request: Request, limit: int) -> bytes:
    """Read a body as it streams, stopping one byte past ``limit`` (the caller refuses that size)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past the limit; an HTTP exception, so body parsing lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes")


def problem_bytes(
    status: int, code: CommonError, title: str, detail: str, instance: str, **extra: Any
) -> bytes:
    """Return a problem-details body as JSON bytes."""
    body = {
        "type": f"https://storeguard.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code.value,
        "instance": instance,
        **extra,
    }
    return orjson.dumps(body)


class Edge:
    """Give every request an id, refuse oversized bodies early, and answer any crash as a 500 problem."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_webhook_body_bytes: int,
        max_upload_bytes: int | None = None,
        crash_page: Callable[[str, str], bytes | None] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_webhook_body_bytes = max_webhook_body_bytes
        self.max_upload_bytes = max_upload_bytes or max_body_bytes
        # For the admin pages: given the path and request id, an HTML page to answer a crash
        # with, or None for a path that answers problem JSON.
        self.crash_page = crash_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        path: str = scope["path"]
        limit = (
            self.max_webhook_body_bytes
            if path.startswith((WEBHOOK_PREFIX, INBOUND_PREFIX))
            else self.max_body_bytes
        )
        if is_upload(path):
            limit = self.max_upload_bytes
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            # PostgreSQL keeps no NUL in text: refused here alike on both databases.
            body = problem_bytes(
                422, CommonError.nul_character, "Invalid input", "the address contains a NUL character", path
            )
            await _answer(send_with_id, 422, body)
            return

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # Answered from the headers alone: the body is never read.
            await _answer(send_with_id, 413, _too_large(path, limit))
            return

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted_receive, send_with_id)
        except Exception as exc:
            lost_race = _lost_a_race(exc)
            if lost_race:
                log.warning(
                    "write conflict answering %s %s (request id %s): %s",
                    scope["method"],
                    path,
                    request_id,
                    exc,
                )
            else:
                log.exception(
                    "unexpected error answering %s %s (request id %s)", scope["method"], path, request_id
                )
            if started:
                return  # the answer is under way; nothing sound can be added to it
            if lost_race:
                body = problem_bytes(
                    503,
                    CommonError.write_conflict,
                    "Write conflict",
                    "another change to the same records went first and nothing was changed: send the request again",
                    path,
                    request_id=request_id.decode(),
                )
                await _answer(send_with_id, 503, body, retry_after=1)
                return
            page = self.crash_page(path, request_id.decode()) if self.crash_page is not None else None
            if page is not None:
                await _answer(send_with_id, 500, page, HTML)
                return
            body = problem_bytes(
                500,
                CommonError.internal_error,
                "Internal error",
                "something went wrong on our side; nothing was changed. Quote the request id when reporting it.",
                path,
                request_id=request_id.decode(),
            )
            await _answer(send_with_id, 500, body)


def _lost_a_race(exc: Exception) -> bool:
    """Whether the database rolled this request's transaction back for another's sake."""
    if not isinstance(exc, OperationalError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _LOST_RACE_STATES:
        return True
    return "database is locked" in str(exc.orig)  # SQLite's busy timeout ran out


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _GOOD_REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex.encode()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(path: str, limit: int) -> bytes:
    return problem_bytes(
        413,
        CommonError.body_too_large,
        "Request body too large",
        f"the request body is over the limit of {limit} bytes",
        path,
        limit=limit,
    )


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = PROBLEM_JSON,
    *,
    retry_after: int | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
