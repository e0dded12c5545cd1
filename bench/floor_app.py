"""The app the HTTP bench serves: storeguard's own, plus one route that does checkout's HTTP work only.

``POST /bench/checkout-floor`` takes the same body as ``POST /v1/screen`` (parsed and validated by
the same model), checks the key on the same kind of read-only connection, and answers a fixed
decision: everything the checkout route does except screening. Its rate against ``/healthz`` is the
most ``POST /v1/screen`` could reach if screening cost nothing, so the figure shows how much of
the gap is the screening itself. The route is mounted first, as the checkout route is.
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request, Response

from storeguard.app import create_app as create_storeguard_app
from storeguard.core.api import Reader, authorize
from storeguard.core.enums import Role
from storeguard.screening.schemas import ScreenOrderIn

FIXED = orjson.dumps({"decision": "allow", "score": 0, "reasons": [], "restricted_lines": []})


def create_app() -> FastAPI:
    app = create_storeguard_app()

    @app.post("/bench/checkout-floor", include_in_schema=False)
    async def checkout_floor(request: Request, body: ScreenOrderIn) -> Response:
        reader: Reader = request.app.state.reader
        with reader.open() as db:
            authorize(db, request, Role.viewer)
        return Response(FIXED, media_type="application/json")

    app.router.routes.insert(0, app.router.routes.pop())  # tried first, like the checkout route
    return app
