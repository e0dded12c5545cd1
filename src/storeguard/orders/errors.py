"""The machine-readable codes an order action refuses with (the ``code`` of a problem answer)."""

from enum import StrEnum


class OrderError(StrEnum):
    # Something named in the request does not exist (404 when it is the target, 422 when an input).
    order_not_found = "order_not_found"
    fulfillment_not_found = "fulfillment_not_found"
    cancellation_request_not_found = "cancellation_request_not_found"
    unknown_product = "unknown_product"
    unknown_line_item = "unknown_line_item"

    # The input itself is wrong (422).
    currency_mismatch = "currency_mismatch"
    invalid_quantity = "invalid_quantity"
    amount_out_of_range = "amount_out_of_range"
    duplicate_line_item = "duplicate_line_item"
    total_mismatch = "total_mismatch"
    invalid_cancel_reason = "invalid_cancel_reason"
    no_email_to_notify = "no_email_to_notify"
    line_properties_too_large = "line_properties_too_large"

    # The order's state forbids the change (409).
    already_cancelled = "already_cancelled"
    order_cancelled = "order_cancelled"
    order_closed = "order_closed"
    order_held = "order_held"
    fulfillment_active = "fulfillment_active"
    fulfillment_delivered = "fulfillment_delivered"
    fulfillment_already_cancelled = "fulfillment_already_cancelled"
    nothing_to_fulfill = "nothing_to_fulfill"
    quantity_exceeds_fulfillable = "quantity_exceeds_fulfillable"
    insufficient_stock = "insufficient_stock"
    duplicate_order_number = "duplicate_order_number"
    refund_exceeds_captured = "refund_exceeds_captured"
    fee_exceeds_lines = "fee_exceeds_lines"  # a restocking fee larger than the lines it is kept from
    shipping_exceeds_refundable = "shipping_exceeds_refundable"
    quantity_exceeds_refundable = "quantity_exceeds_refundable"
    nothing_to_refund = "nothing_to_refund"
    not_authorized_payment = "not_authorized_payment"
    capture_exceeds_authorized = "capture_exceeds_authorized"
    nothing_to_void = "nothing_to_void"
    request_already_handled = "request_already_handled"
