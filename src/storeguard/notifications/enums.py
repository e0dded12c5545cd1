"""The kinds of notice a customer gets, and the refusals of this package."""

from enum import StrEnum


class NoticeKind(StrEnum):
    block_notice = "block_notice"
    conduct_warning = "conduct_warning"
    order_cancelled = "order_cancelled"
    order_refunded = "order_refunded"  # the refund confirmation, with when the money should arrive
    cancellation_request_declined = "cancellation_request_declined"
    return_authorized = "return_authorized"
    appeal_received = "appeal_received"
    appeal_decided = "appeal_decided"
    dispute_message = "dispute_message"


class NotificationError(StrEnum):
    unknown_kind = "unknown_kind"
    unknown_language = "unknown_language"
    unknown_variable = "unknown_variable"
    template_does_not_render = "template_does_not_render"
    subject_required = "subject_required"
    body_required = "body_required"
    no_address = "no_address"
