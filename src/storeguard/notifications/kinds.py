"""What each kind of notice may say: its variables (documented for the merchant) and sample values.

Every notice also knows ``customer_name`` and ``shop_name``. A template may use only the
variables of its kind: anything else is refused when it is saved, so a notice never fails (or
says "undefined") at the moment it is sent. The samples render the previews and the save check.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from storeguard.notifications.enums import NoticeKind

COMMON: dict[str, str] = {
    "customer_name": "The customer's first name (may be empty).",
    "shop_name": "The shop's name.",
}

VARIABLES: MappingProxyType[NoticeKind, dict[str, str]] = MappingProxyType(
    {
        NoticeKind.block_notice: {
            "reason": "Why, in plain words in the customer's language (the reason code's description).",
            "action": "What the block does: block, verify or review.",
            "appeal_url": "The public page where the customer can ask for another look.",
        },
        NoticeKind.conduct_warning: {
            "reason": "What in the customer's message broke the shop's conduct policy, in plain words.",
            "case_reference": "The support case the warning belongs to (may be empty).",
        },
        NoticeKind.order_cancelled: {
            "order_number": "The order's number.",
            "reason": "Why the order was cancelled (customer, fraud, inventory, declined, other).",
            "refund_amount": "The refund with its currency, e.g. 499.00 NOK; empty when nothing is refunded.",
            "arrival_from": "The first day the refund may arrive (YYYY-MM-DD); empty without a refund.",
            "arrival_to": "The last day the refund should have arrived (YYYY-MM-DD); empty without a refund.",
        },
        NoticeKind.order_refunded: {
            "order_number": "The order's number.",
            "refund_amount": "The refund with its currency, e.g. 499.00 NOK.",
            "arrival_from": "The first day the refund may arrive (YYYY-MM-DD).",
            "arrival_to": "The last day the refund should have arrived (YYYY-MM-DD).",
        },
        NoticeKind.cancellation_request_declined: {
            "order_number": "The order's number.",
            "staff_note": "What the team wrote to the customer (may be empty).",
        },
        NoticeKind.return_authorized: {
            "order_number": "The order's number.",
            "return_reference": "The return's reference.",
            "instructions": "How to send the goods back (may be empty).",
        },
        NoticeKind.appeal_received: {
            "appeal_url": "The appeal's public page, where the answer will show.",
            "answer_by": "The day the customer should have an answer by (YYYY-MM-DD).",
        },
        NoticeKind.appeal_decided: {
            "decision": "upheld, lifted or lifted_with_conditions.",
            "decision_words": "The decision in plain words in the customer's language.",
            "note": "What the reviewer wrote to the customer (may be empty).",
            "appeal_url": "The appeal's public page.",
        },
        NoticeKind.dispute_message: {
            "order_number": "The order's number.",
            "message": "What the team writes to the customer about the payment dispute.",
        },
    }
)

SAMPLES: MappingProxyType[NoticeKind, dict[str, Any]] = MappingProxyType(
    {
        NoticeKind.block_notice: {
            "reason": "Several payments were disputed with the bank.",
            "action": "block",
            "appeal_url": "https://shop.example/appeal/sample",
        },
        NoticeKind.conduct_warning: {
            "reason": "Insulting words towards our staff.",
            "case_reference": "C-1042",
        },
        NoticeKind.order_cancelled: {
            "order_number": "#1001",
            "reason": "inventory",
            "refund_amount": "499.00 NOK",
            "arrival_from": "2026-12-10",
            "arrival_to": "2026-12-15",
        },
        NoticeKind.order_refunded: {
            "order_number": "#1001",
            "refund_amount": "499.00 NOK",
            "arrival_from": "2026-12-10",
            "arrival_to": "2026-12-15",
        },
        NoticeKind.cancellation_request_declined: {
            "order_number": "#1001",
            "staff_note": "The parcel has already left our warehouse.",
        },
        NoticeKind.return_authorized: {
            "order_number": "#1001",
            "return_reference": "R-1001-1",
            "instructions": "Pack the shoes in their box and drop the parcel at any post office.",
        },
        NoticeKind.appeal_received: {
            "appeal_url": "https://shop.example/appeal/sample",
            "answer_by": "2026-12-08",
        },
        NoticeKind.appeal_decided: {
            "decision": "lifted",
            "decision_words": "The block is lifted: you can order from us again.",
            "note": "Thank you for the receipts you sent.",
            "appeal_url": "https://shop.example/appeal/sample",
        },
        NoticeKind.dispute_message: {
            "order_number": "#1001",
            "message": "We have sent the bank the tracking number that shows the parcel was delivered.",
        },
    }
)

SAMPLE_NAMES = {"en": "Alex", "nb": "Kari", "he": "נועה", "zh": "李华"}


def allowed_variables(kind: NoticeKind) -> frozenset[str]:
    """Return every variable a template of this kind may use."""
    return frozenset(COMMON) | frozenset(VARIABLES[kind])


def sample_context(kind: NoticeKind, language: str) -> dict[str, Any]:
    """Return sample values for a preview of this kind in one language."""
    return {"customer_name": SAMPLE_NAMES.get(language, "Alex"), "shop_name": "Nordlys Sko", **SAMPLES[kind]}
