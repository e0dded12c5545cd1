"""Keyed hashes of identifiers: how a block still knows an erased customer without knowing who they are.

An erased customer's identifier that an active block needs (their phone, their card) is kept only as
HMAC-SHA256 of its normalized value under a key kept apart from the database (the ``erasure_key``
setting or a file). The same hash of a new order's identifier finds the entry; the stored value
alone names no one, and without the key it cannot be tried against a guess.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from storeguard.core.config import get_settings

# A stored hash says what it is: no normalized identifier starts with this.
PREFIX = "hmac:"


@lru_cache(maxsize=4)
def _key(text: str | None, path: Path | None) -> bytes | None:
    if text:
        return text.encode()
    if path is not None and path.is_file():
        content = path.read_bytes().strip()
        return content or None
    return None


def erasure_key() -> bytes | None:
    """Return the erasure key (the setting, else the file's content), or None when none is set."""
    settings = get_settings()
    return _key(settings.erasure_key, settings.erasure_key_file)


def keyed_hash(key: bytes, identifier_type: str, value: str) -> str:
    """Return the stored form of a normalized identifier: its type and value under the key."""
    digest = hmac.new(key, f"{identifier_type}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest


@lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    # The key's inner and outer pads are worked out once; each order's keys copy them (checkout path).
    return hmac.new(key, digestmod=hashlib.sha256)


def hashed_keys(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the keyed-hash form of (type, normalized value) keys; none when no key is set."""
    key = erasure_key()
    if key is None:
        return []
    base = _keyed(key)
    out = []
    for t, v in keys:
        if not v.startswith(PREFIX):
            mac = base.copy()
            mac.update(f"{t}\x00{v}".encode())
            out.append((t, PREFIX + mac.hexdigest()))
    return out
