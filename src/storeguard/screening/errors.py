"""The codes screening refuses with."""

from enum import StrEnum


class ScreeningError(StrEnum):
    order_blocked = "order_blocked"  # 409: screening said block; the decision is in the answer
    order_not_held = "order_not_held"
    order_not_open = "order_not_open"
    verification_not_found = "verification_not_found"
    verification_resolved = "verification_resolved"
    invalid_settings = "invalid_settings"
    invalid_range = "invalid_range"
    invalid_status = "invalid_status"
    price_required = "price_required"
    discount_too_large = "discount_too_large"
