"""Error pages: what a page answers when it cannot show what was asked, never a JSON problem.

Not logged in: a redirect to the login page, coming back afterwards. Too weak a role or a stale
form: 403. Nothing there: 404. A refusal no form caught: its sentence. A crash: a plain page
with the request id, written without the templates (they may be what failed).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storeguard.core.errors import DomainError
from storeguard.web.context import speaker
from storeguard.web.i18n import N_
from storeguard.web.refusals import describe
from storeguard.web.security import is_page_path
from storeguard.web.templating import render

_TITLES = {
    400: N_("This request could not be carried out"),
    403: N_("You do not have access to this"),
    404: N_("Page not found"),
    405: N_("This page cannot be used that way"),
    409: N_("This cannot be done now"),
    413: N_("What you sent is too large"),
    422: N_("Something in the request is not valid"),
}
_DETAILS = {
    403: N_(
        "Your role does not allow this, or the form was out of date. Go back, reload the page and try again."
    ),
    404: N_(
        "There is nothing at this address. It may have been mistyped, or what it showed no longer exists."
    ),
    405: N_("Go back to the page you came from and use its buttons."),
}

_NOTHING_CHANGED = N_("Nothing was changed.")


class Pages:
    """The admin pages' answers to refusals (``core.api.install_error_handlers`` asks them)."""

    def is_page(self, request: Request) -> bool:
        return is_page_path(request.url.path)

    def answer(
        self, request: Request, error: DomainError | HTTPException | RequestValidationError
    ) -> Response:
        if isinstance(error, DomainError) and error.status == 401:
            return login_redirect(request)
        if isinstance(error, RequestValidationError):
            # A path id that is not a number names nothing; a bad query value is a bad request.
            in_path = any(e.get("loc", ("",))[0] == "path" for e in error.errors())
            return error_page(request, 404 if in_path else 422)
        if isinstance(error, DomainError):
            detail = describe(error, speaker(request)) if error.status != 403 else None
            return error_page(request, error.status, detail)
        return error_page(request, error.status_code)


def login_redirect(request: Request) -> Response:
    """Send the browser to the login page, to come back to this page (a GET) afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/login" + (f"?{urlencode({'next': back})}" if request.method == "GET" and back != "/" else "")
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """Render the error page for ``status`` with an explanation."""
    said = speaker(request)
    title = said.gettext(_TITLES.get(status, _TITLES[400]))
    text = detail or said.gettext(_DETAILS.get(status, _NOTHING_CHANGED))
    return render(
        request, "web/error.html", {"status": status, "title": title, "detail": text}, status_code=status
    )


def crash_page(path: str, request_id: str) -> bytes | None:
    """Return the page for an unexpected error on an admin page, or None for the API (it answers JSON)."""
    if not is_page_path(path):
        return None
    rid = html.escape(request_id)
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>storeguard: something went wrong</title>"
        '<link rel=stylesheet href="/static/ui/storeguard.css">'
        '<main class="error-page"><h1>Something went wrong on our side</h1>'
        "<p>Nothing was changed. Go back and try again; if it happens again, quote this request id: "
        f'<code>{rid}</code>.</p><p><a href="/">Go to the dashboard</a></p></main></html>'
    ).encode()
