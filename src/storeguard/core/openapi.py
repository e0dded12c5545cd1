"""The OpenAPI document as the API really answers: every problem response documented, and offline docs.

Problem answers are documented in one pass over the generated document, from what each operation
is (does it take a key, a body, a path id, is it a write), rather than by hand on a hundred routes
that would drift from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Routes that answer without an API key, and why: everything else demands one (a test holds this).
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "a load balancer's health check",
    ("GET", "/docs"): "the API documentation page",
    ("GET", "/openapi.json"): "the API description the documentation page reads",
    ("POST", "/webhooks/shopify/{shop}"): "Shopify signs it with the shop's webhook secret",
    ("POST", "/webhooks/stripe"): "Stripe signs it with the endpoint secret",
    ("POST", "/webhooks/square"): "Square signs it with the signature key",
    ("POST", "/webhooks/paypal"): "PayPal signs it with its certificate",
    ("POST", "/v1/inbound/email"): "the mail relay signs it with the shared inbound secret",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "description": "An RFC 9457 problem: a refusal with a machine-readable code.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "What went wrong, for machines (`order_not_found`)."},
        "field": {"type": ["string", "null"], "description": "The input at fault, when one is."},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "code"],
    "additionalProperties": True,
}

_WHY = {
    400: "The request cannot be carried out as asked",
    401: "No API key, or an unknown or revoked one (see WWW-Authenticate)",
    403: "The key's role is too weak for this",
    404: "Something the request names does not exist",
    409: "The state of what it acts on forbids this now",
    413: "The request body is over the size limit",
    422: "Invalid input: `code` and `field` say which",
    500: "An unexpected error; nothing was changed (quote X-Request-Id)",
}
_WRITES = {"post", "put", "patch", "delete"}
SECURITY_NAME = "HTTPBearer"
SWAGGER_DIR = Path(__file__).resolve().parents[3] / "node_modules" / "swagger-ui-dist"


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": _WHY[status],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """Return the problem statuses an operation can answer, from what it takes."""
    statuses = [500]
    secured = bool(operation.get("security"))
    takes_input = bool(operation.get("parameters")) or "requestBody" in operation
    if secured:
        statuses += [401, 403]
    if path.startswith("/webhooks/"):
        statuses.append(401)  # the platform's signature does not hold
    if takes_input:
        statuses += [404, 422]  # a named shop, order or customer may not exist
    if method in _WRITES:
        statuses += [400, 409, 413]
    return sorted(set(statuses))


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add every problem answer to each operation and the ProblemDetails schema to the components."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses[str(status)] = _problem(status)
            if operation.get("security"):
                responses["401"]["headers"] = {
                    "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
                }
    components.get("schemas", {}).pop("HTTPValidationError", None)
    components.get("schemas", {}).pop("ValidationError", None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve the documented OpenAPI and a /docs page whose assets the app serves itself."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_DIR, check_dir=False), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Show the interactive API documentation, with no call to the internet."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )
