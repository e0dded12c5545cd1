"""Key pagination: a page link carries the key of the row it continues from, never an offset.

A key is the row's sort time and id, written into the link as ``20261205T101500123456~4211``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from storeguard.core.errors import CommonError, Invalid
from storeguard.core.pages import KeysetPage
from storeguard.core.schemas import DB_INT_MAX

Key = tuple[datetime, int]
T = TypeVar("T")
_FORMAT = "%Y%m%dT%H%M%S%f"


def encode_key(key: Key) -> str:
    """Write a row's key for a link."""
    moment, row_id = key
    return f"{moment.astimezone(UTC).strftime(_FORMAT)}~{row_id}"


def decode_key(text: str | None, *, field: str) -> Key | None:
    """Read a key from a link; refuse one this site did not write."""
    if not text:
        return None
    moment, _, row_id = text.partition("~")
    try:
        key = datetime.strptime(moment, _FORMAT).replace(tzinfo=UTC), int(row_id)
    except ValueError:
        raise Invalid(CommonError.validation_failed, "this page link is not valid", field=field) from None
    if not 0 < key[1] <= DB_INT_MAX:
        raise Invalid(CommonError.validation_failed, "this page link is not valid", field=field)
    return key


def page_links(request: Request, page: KeysetPage[T], key_of: Callable[[T], Key]) -> dict[str, str | None]:
    """Return the addresses of the newer and older pages, keeping the list's filters."""
    rows = page.rows
    keep = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "before", "lang")]

    def link(name: str, key: Key) -> str:
        return f"{request.url.path}?{urlencode([*keep, (name, encode_key(key))])}"

    newer = link("before", key_of(rows[0])) if rows and page.more_before else None
    older = link("after", key_of(rows[-1])) if rows and page.more_after else None
    return {"newer": newer, "older": older}
