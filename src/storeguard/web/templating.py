"""The Jinja2 environment of the admin pages and the one function that renders a page.

Templates are found as ``<package>/<name>.html`` in ``storeguard/<package>/templates/``: a domain
keeps its pages beside its code (``orders/templates/orders/detail.html``) and this package knows
none of them. Every text goes through gettext in the request's language (``{% trans %}``, ``_()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from storeguard.web import flash
from storeguard.web.context import page_context

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@pass_context
def _gettext(context: Context, message: str) -> str:
    return context["speaker"].gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return context["speaker"].ngettext(singular, plural, n)


@cache
def environment() -> Environment:
    """Return the environment, built once: every package's ``templates/`` folder, autoescaped."""
    env = Environment(
        loader=FileSystemLoader(sorted(str(p) for p in PACKAGE_DIR.glob("*/templates"))),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page (or an htmx partial) with what every page knows: who, language, flash, CSRF."""
    shown = flash.take(request)
    values = {**page_context(request), "flashes": shown, **(context or {})}
    body = environment().get_template(name).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))
    if shown:
        flash.clear(response, request)
    return response
