"""Shopify's Return resource (as the returns/* webhooks deliver it) → a mapped return. Pure functions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from storeguard.integrations.mirror.shapes import MappedReturn, MappedReturnLine, MappingError
from storeguard.integrations.platforms.common import timestamp
from storeguard.integrations.platforms.shopify.mapping import platform_id

# Shopify's ReturnReason → storeguard's. Style and colour are the customer's taste, as unwanted is.
REASONS: dict[str, str] = {
    "SIZE_TOO_SMALL": "size",
    "SIZE_TOO_LARGE": "size",
    "UNWANTED": "changed_mind",
    "STYLE": "changed_mind",
    "COLOR": "changed_mind",
    "NOT_AS_DESCRIBED": "not_as_described",
    "WRONG_ITEM": "wrong_item",
    "DEFECTIVE": "damaged",
    "OTHER": "other",
    "UNKNOWN": "other",
}
# Shopify's ReturnDeclineReason, in words the customer is shown.
DECLINE_REASONS: dict[str, str] = {
    "RETURN_PERIOD_ENDED": "The return period has ended",
    "FINAL_SALE": "The item was a final sale",
    "OTHER": "Declined",
}


def map_return(data: dict[str, Any]) -> MappedReturn:
    """Map a Shopify return: its order, its lines by order line id, reasons, notes and any decline."""
    if not isinstance(data, dict):
        raise MappingError("return is not an object")
    rid = platform_id(data.get("id") or data.get("admin_graphql_api_id"), "return id")
    order = data.get("order") or {}
    order_id = platform_id(
        order.get("id") or order.get("admin_graphql_api_id") or data.get("order_id"), "return order id"
    )
    lines = [_line(item) for item in data.get("return_line_items") or []]
    if not lines:
        raise MappingError(f"return {rid} has no return_line_items")
    units = Counter[str]()
    for line in lines:
        units[line.reason] += line.quantity
    notes: list[str] = []
    for item in data.get("return_line_items") or []:
        for key in ("customer_note", "return_reason_note"):
            text = str(item.get(key) or "").strip()
            if text and text not in notes:
                notes.append(text)
    return MappedReturn(
        platform_id=rid,
        order_platform_id=order_id,
        reason=max(units, key=units.__getitem__),  # the reason of the most units; the first on a tie
        lines=lines,
        name=str(data["name"])[:50] if data.get("name") else None,
        note="\n".join(notes) or None,
        decline_reason=_decline(data.get("decline")),
        requested_at=timestamp(data.get("created_at") or data.get("requested_at"), "return created_at"),
    )


def _line(item: Any) -> MappedReturnLine:
    if not isinstance(item, dict):
        raise MappingError("a return line is not an object")
    order_line = (item.get("fulfillment_line_item") or {}).get("line_item") or item.get("line_item") or {}
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise MappingError(f"return line quantity {quantity!r} is not a whole number above zero")
    shopify_reason = str(item.get("return_reason") or "UNKNOWN").upper()
    return MappedReturnLine(
        line_platform_id=platform_id(
            order_line.get("id") or order_line.get("admin_graphql_api_id") or item.get("line_item_id"),
            "return line's order line id",
        ),
        quantity=quantity,
        reason=REASONS.get(shopify_reason, "other"),
        platform_reason=shopify_reason,
    )


def _decline(decline: Any) -> str | None:
    if not isinstance(decline, dict):
        return None
    code = str(decline.get("reason") or "OTHER").upper()
    label = DECLINE_REASONS.get(code, DECLINE_REASONS["OTHER"])
    note = str(decline.get("note") or "").strip()
    return f"{label}: {note}" if note else label
