"""Flash messages: one sentence carried across the redirect that follows a form, shown once.

The sentence rides in a cookie signed with the session's CSRF token, so nobody can make a page
show words it did not say, and it dies with the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from storeguard.web.context import page_user
from storeguard.web.cookies import FLASH_COOKIE, delete_cookie, set_cookie

KINDS = ("success", "info", "error")


@dataclass(frozen=True)
class Flash:
    text: str
    kind: str = "success"


def _signature(key: str, payload: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def add(response: Response, request: Request, text: str, kind: str = "success") -> None:
    """Carry ``text`` to the next page this browser shows (only for a logged-in user)."""
    user = page_user(request)
    if user is None:
        return
    payload = base64.urlsafe_b64encode(json.dumps([kind, text]).encode()).decode()
    set_cookie(response, request, FLASH_COOKIE, f"{payload}.{_signature(user.csrf_token, payload)}")


def take(request: Request) -> list[Flash]:
    """Return the message waiting for this page, if its signature holds."""
    user, raw = page_user(request), request.cookies.get(FLASH_COOKIE)
    if user is None or not raw or "." not in raw:
        return []
    payload, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(signature, _signature(user.csrf_token, payload)):
        return []
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []
    return [Flash(str(text), kind if kind in KINDS else "info")]


def clear(response: Response, request: Request) -> None:
    """Forget the message once shown."""
    delete_cookie(response, request, FLASH_COOKIE)
