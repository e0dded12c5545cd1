"""A return's states, reasons and the condition an item comes back in."""

from enum import StrEnum


class ReturnStatus(StrEnum):
    requested = "requested"
    authorized = "authorized"
    declined = "declined"
    received = "received"
    inspected = "inspected"
    refunded = "refunded"
    partly_refunded = "partly_refunded"  # a fee was kept, or some lines were not refunded
    rejected = "rejected"  # inspected and refused: the goods are sent back or kept, no money moves

    @property
    def is_open(self) -> bool:
        return self not in _CLOSED


_CLOSED = frozenset(
    {ReturnStatus.declined, ReturnStatus.refunded, ReturnStatus.partly_refunded, ReturnStatus.rejected}
)


class ReturnReason(StrEnum):
    size = "size"
    not_as_described = "not_as_described"
    damaged = "damaged"
    changed_mind = "changed_mind"
    wrong_item = "wrong_item"
    not_received = "not_received"
    other = "other"


class Condition(StrEnum):
    """How an item came back, as the inspection found it."""

    new_with_tags = "new_with_tags"
    used = "used"
    damaged_by_customer = "damaged_by_customer"
    not_the_item_sent = "not_the_item_sent"


class ReturnError(StrEnum):
    return_not_found = "return_not_found"
    order_not_fulfilled = "order_not_fulfilled"
    quantity_exceeds_returnable = "quantity_exceeds_returnable"
    line_not_in_order = "line_not_in_order"
    no_lines = "no_lines"
    outside_return_window = "outside_return_window"
    invalid_reason = "invalid_reason"
    invalid_condition = "invalid_condition"
    wrong_state = "wrong_state"
    inspection_required = "inspection_required"
    condition_missing = "condition_missing"
    reason_required = "reason_required"
    photo_not_an_image = "photo_not_an_image"
    photo_too_large = "photo_too_large"
    invalid_policy = "invalid_policy"
