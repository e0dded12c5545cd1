"""Cookies of the admin pages: never readable by scripts, sent with same-site navigation only,
and only over HTTPS when the pages are served over HTTPS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "sg_session"
LOGIN_CSRF_COOKIE = "sg_login_csrf"
LANGUAGE_COOKIE = "sg_lang"
FLASH_COOKIE = "sg_flash"


def is_https(request: Request) -> bool:
    """Tell whether the browser reached us over HTTPS (uvicorn reads X-Forwarded-Proto from a trusted proxy)."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None = None
) -> None:
    """Set a cookie HttpOnly, SameSite=Lax, for the whole site, Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def delete_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie set by ``set_cookie``."""
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=is_https(request))
