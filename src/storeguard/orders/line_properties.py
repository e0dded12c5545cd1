"""Line item properties: what the buyer wrote on a line (engraving, gift message, custom size).

Pure rules, no session: the API, screening's checkout input and the platform mappings share them.
A property is ``{"name": ..., "value": ...}`` as Shopify's ``line_items[].properties`` gives it;
a name starting with "_" is an app's private data, kept (rules may read it) and shown apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.orders.errors import OrderError

MAX_PROPERTIES = 50
MAX_NAME = 100
MAX_VALUE = 1000
# One sentence for the one refusal (OrderError.line_properties_too_large), wherever it is raised.
LIMITS = (
    f"a line holds at most {MAX_PROPERTIES} properties, each name at most {MAX_NAME} characters "
    f"and each value at most {MAX_VALUE:,}"
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def property_pairs(raw: Any) -> list[dict[str, str]]:
    """Return properties as a list of {"name", "value"} text pairs, from a list of pairs or a mapping.

    Missing or null is none; a pair without a name is dropped (it names nothing a person could
    read); a value that is not text (a number, null) is written as text.
    """
    if not raw:
        return []
    if isinstance(raw, Mapping):
        items: list[Any] = [{"name": k, "value": v} for k, v in raw.items()]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        return []
    pairs = []
    for item in items:
        if isinstance(item, Mapping):
            name, value = item.get("name"), item.get("value")
        else:  # a model with .name and .value (the API's)
            name, value = getattr(item, "name", None), getattr(item, "value", None)
        name = _text(name)
        if name.strip():
            pairs.append({"name": name, "value": _text(value)})
    return pairs


def properties_refusal(pairs: list[dict[str, str]]) -> str | None:
    """Say what is over the limits in a line's properties, or None when they fit."""
    if len(pairs) > MAX_PROPERTIES:
        return f"it has {len(pairs)} properties"
    for pair in pairs:
        if len(pair["name"]) > MAX_NAME:
            return f"the name {pair['name'][:20]!r}... has {len(pair['name'])} characters"
        if len(pair["value"]) > MAX_VALUE:
            return f"the value of {pair['name'][:MAX_NAME]!r} has {len(pair['value']):,} characters"
    return None


def checked_properties(raw: Any, field: str) -> list[dict[str, str]]:
    """Return a line's properties as pairs; refuse (422) properties over the limits, naming the line's field."""
    pairs = property_pairs(raw)
    why = properties_refusal(pairs)
    if why is not None:
        raise Invalid(OrderError.line_properties_too_large, f"{LIMITS}; {why}", field=field)
    return pairs


def bounded_properties(pairs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Keep what fits the limits, for an order a platform reports (never refused over a gift message).

    A buyer writes properties at the storefront: refusing the platform's order over them would let
    anyone keep an order from being mirrored and screened. The first properties are kept, cut to size.
    """
    return [{"name": p["name"][:MAX_NAME], "value": p["value"][:MAX_VALUE]} for p in pairs[:MAX_PROPERTIES]]


def is_private(name: str) -> bool:
    """Return whether a property is an app's own data (Shopify hides these from the buyer)."""
    return name.startswith("_")
