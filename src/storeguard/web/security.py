"""Headers every admin page is answered with, and which addresses are pages at all.

The Content-Security-Policy allows scripts and styles from this site's own files only: no inline
script, no inline style, nothing from elsewhere. A ``?lang=`` on any page keeps that language for
the browser session.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storeguard.web.cookies import LANGUAGE_COOKIE
from storeguard.web.i18n import parse_language

# Everything else the app serves is an admin page.
NOT_PAGES = ("/v1", "/webhooks/", "/healthz", "/docs", "/openapi.json", "/static/swagger-ui/")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def is_page_path(path: str) -> bool:
    """Tell whether an address is an admin page (or its static files), not the API, docs or webhooks."""
    return not (path == "/v1" or path.startswith(NOT_PAGES))


class PageHeaders:
    """Add the security headers to every page answer, and remember a ``?lang=`` for the session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        language = _asked_language(scope)
        static = scope["path"].startswith("/static/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
                if language is not None:
                    secure = "; Secure" if https else ""
                    headers.append(
                        "set-cookie", f"{LANGUAGE_COOKIE}={language}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _asked_language(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    if "lang=" not in query:
        return None
    values = parse_qs(query).get("lang")
    language = parse_language(values[0]) if values else None
    return language.value if language is not None else None
