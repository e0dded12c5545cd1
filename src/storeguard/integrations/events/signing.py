"""Signing a delivery the way Stripe signs its webhooks, so receivers can reuse what they know.

The ``Storeguard-Signature`` header is ``t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>.<body>"`` with the subscription's secret: the receiver recomputes it, and refuses a
timestamp older than its tolerance (a replayed capture).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Storeguard-Signature"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """Return a fresh subscription secret (shown once)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header's value for a body sent at ``timestamp``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, *, at: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Tell whether a header signs this body and is no older than ``tolerance`` seconds at ``at``
    (what a receiver does; storeguard's tests use it as one)."""
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(at - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
