"""Square webhook signatures: base64 HMAC-SHA256 over the notification URL plus the raw body."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

HEADER = "x-square-hmacsha256-signature"


def compute_signature(url: str, body: bytes, key: str) -> str:
    """Return the signature Square sends for ``body`` posted to ``url``."""
    digest = hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(url: str, body: bytes, header: str | None, keys: Iterable[str]) -> bool:
    """Tell whether ``header`` signs ``url`` + ``body`` with any of ``keys``, in constant time."""
    if not header:
        return False
    given = header.strip().encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(compute_signature(url, body, key).encode(), given)
    return matched
