"""The app the HTTP bench serves: storeguard's own, plus one route that does checkout's HTTP work only.

``POST /bench/checkout-floor`` takes the same body as ``POST /v1/screen`` (parsed and validated by
the same model), checks the key on the same kind of read-only connection, and answers a fixed
decision: everything the checkout route does except screening. Its rate against ``/bench/bare`` is the
most ``POST /v1/screen`` could reach if screening cost nothing, so the figure shows how much of
the gap is the screening itself. The route is mounted first, as the checkout route is.

``GET /bench/bare`` answers a fixed body and touches no database: the rate of the framework alone.
(``/healthz`` was that once; it now reads the webhook inbox on a session of its own.)
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request, Response

from storeguard.app import create_app as create_storeguard_app
from storeguard.core.api import Reader, authorize
from storeguard.core.enums import Role
from storeguard.screening.schemas import ScreenOrderIn

FIXED = orjson.dumps({"decision": "allow", "score": 0, "reasons": [], "restricted_lines": []})
BARE = orjson.dumps({"status": "ok"})


def create_app() -> FastAPI:
    app = create_storeguard_app()

    @app.post("/bench/checkout-floor", include_in_schema=False)
    async def checkout_floor(request: Request, body: ScreenOrderIn) -> Response:
        reader: Reader = request.app.state.reader
        with reader.open() as db:
            authorize(db, request, Role.viewer)
        return Response(FIXED, media_type="application/json")

    app.router.routes.insert(0, app.router.routes.pop())  # tried first, like the checkout route

    @app.get("/bench/bare", include_in_schema=False)
    async def bare() -> Response:
        return Response(BARE, media_type="application/json")

    app.router.routes.insert(0, app.router.routes.pop())
    return app
