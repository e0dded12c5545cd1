"""Stripe webhook signatures: ``t=<unix>,v1=<hex>`` over ``"{t}.{body}"``, with a tolerance."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from storeguard.integrations.errors import IntegrationError

HEADER = "stripe-signature"
DEFAULT_TOLERANCE = 300


class StripeSignatureError(Exception):
    """Why a Stripe signature was refused, as a machine code."""

    def __init__(self, code: IntegrationError, message: str) -> None:
        super().__init__(message)
        self.code = code


def compute_signature(body: bytes, secret: str, timestamp: int) -> str:
    """Return the hex ``v1`` signature for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """Build a ``Stripe-Signature`` header value (for tests and local tools)."""
    return f"t={timestamp},v1={compute_signature(body, secret, timestamp)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """Split a ``Stripe-Signature`` header into its timestamp and its ``v1`` signatures."""
    timestamp: int | None = None
    v1: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit():
                raise StripeSignatureError(
                    IntegrationError.signature_malformed, "the t= timestamp is not a number"
                )
            timestamp = int(value)
        elif key == "v1":
            v1.append(value)
    if timestamp is None:
        raise StripeSignatureError(
            IntegrationError.signature_malformed, "no t= timestamp in Stripe-Signature"
        )
    if not v1:
        raise StripeSignatureError(
            IntegrationError.signature_malformed, "no v1= signature in Stripe-Signature"
        )
    return timestamp, v1


def verify_signature(
    body: bytes,
    header: str | None,
    secrets: Iterable[str],
    *,
    now_ts: int,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """Check the header against every secret; return the signed timestamp or raise."""
    if not header:
        raise StripeSignatureError(IntegrationError.signature_missing, "no Stripe-Signature header")
    timestamp, given = parse_header(header)
    matched = False
    for secret in secrets:
        expected = compute_signature(body, secret, timestamp).encode()
        for candidate in given:
            matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise StripeSignatureError(
            IntegrationError.signature_invalid, "no v1 signature matches the endpoint secret"
        )
    if abs(now_ts - timestamp) > tolerance:
        # Checked after the HMAC so a forged header learns nothing about the clock.
        raise StripeSignatureError(
            IntegrationError.signature_expired, f"the signature is older than {tolerance} seconds"
        )
    return timestamp
