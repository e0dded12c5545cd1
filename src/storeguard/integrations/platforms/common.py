"""What every platform's ingest shares: reading a body safely, and times as platforms send them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from storeguard.core.clock import ensure_utc
from storeguard.integrations.mirror.shapes import MappingError


class NotReady(Exception):
    """The delivery depends on something not yet received (a refund before its order): retry later."""


# Platforms' payloads nest a handful of levels; far deeper is an attack or a broken sender, and
# would only fail again on every retry.
PAYLOAD_DEPTH_MAX = 64


def parse_body(body: bytes) -> dict[str, Any]:
    """Parse a webhook body to a JSON object, or raise MappingError (never worth retrying)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MappingError("the body is not JSON") from None
    except RecursionError:
        raise MappingError(f"the body is nested deeper than {PAYLOAD_DEPTH_MAX} levels") from None
    if not isinstance(data, dict):
        raise MappingError("the body is not a JSON object")
    if _depth(data) > PAYLOAD_DEPTH_MAX:
        raise MappingError(f"the body is nested deeper than {PAYLOAD_DEPTH_MAX} levels")
    return data


def _depth(document: Any) -> int:
    """Return how deep a parsed JSON document nests, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth <= PAYLOAD_DEPTH_MAX:
                stack.extend(
                    (item, depth + 1) for item in (value.values() if isinstance(value, dict) else value)
                )
    return deepest


def stamp(ts: int | float | None) -> datetime | None:
    """Turn a Unix timestamp (Stripe's ``created``, ``due_by``) into aware UTC."""
    return None if ts is None else datetime.fromtimestamp(int(ts), UTC)


_fromisoformat = datetime.fromisoformat  # looked up once: called for every time in a file


def timestamp(value: Any, what: str = "timestamp") -> datetime | None:
    """Parse an ISO 8601 timestamp to aware UTC; None when absent."""
    if value is None or value == "":
        return None
    text = value if value.__class__ is str else str(value)
    try:
        parsed = _fromisoformat(text.replace("Z", "+00:00"))
        # Already UTC (Shopify's "...Z", "+00:00"): no conversion to make.
        return parsed if parsed.tzinfo is UTC else ensure_utc(parsed)
    except ValueError:
        raise MappingError(f"{what} {value!r} is not an ISO 8601 timestamp") from None
