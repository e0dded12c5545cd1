"""Each gateway's dispute reasons and states in storeguard's words (Stripe's vocabulary)."""

from __future__ import annotations

REASONS = frozenset(
    {
        "bank_cannot_process",
        "check_returned",
        "credit_not_processed",
        "customer_initiated",
        "debit_not_authorized",
        "duplicate",
        "fraudulent",
        "general",
        "incorrect_account_details",
        "insufficient_funds",
        "product_not_received",
        "product_unacceptable",
        "subscription_canceled",
        "unrecognized",
        "incorrect_amount",
        "noncompliant",
    }
)

SQUARE_REASONS = {
    "AMOUNT_DIFFERS": "incorrect_amount",
    "CANCELLED": "subscription_canceled",
    "DUPLICATE": "duplicate",
    "NO_KNOWLEDGE": "unrecognized",
    "NOT_AS_DESCRIBED": "product_unacceptable",
    "NOT_RECEIVED": "product_not_received",
    "PAID_BY_OTHER_MEANS": "duplicate",
    "CUSTOMER_REQUESTS_CREDIT": "credit_not_processed",
    "EMV_LIABILITY_SHIFT": "fraudulent",
}

PAYPAL_REASONS = {
    "MERCHANDISE_OR_SERVICE_NOT_RECEIVED": "product_not_received",
    "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED": "product_unacceptable",
    "UNAUTHORISED": "fraudulent",
    "CREDIT_NOT_PROCESSED": "credit_not_processed",
    "DUPLICATE_TRANSACTION": "duplicate",
    "INCORRECT_AMOUNT": "incorrect_amount",
    "PAYMENT_BY_OTHER_MEANS": "duplicate",
    "CANCELED_RECURRING_BILLING": "subscription_canceled",
    "PROBLEM_WITH_REMITTANCE": "general",
    "OTHER": "general",
}

SQUARE_STATES = {
    "INQUIRY_EVIDENCE_REQUIRED": "warning_needs_response",
    "INQUIRY_PROCESSING": "warning_under_review",
    "INQUIRY_CLOSED": "warning_closed",
    "EVIDENCE_REQUIRED": "needs_response",
    "PROCESSING": "under_review",
    "WON": "won",
    "LOST": "lost",
    "ACCEPTED": "accepted",
}

STRIPE_STATES = {
    "warning_needs_response": "warning_needs_response",
    "warning_under_review": "warning_under_review",
    "warning_closed": "warning_closed",
    "needs_response": "needs_response",
    "under_review": "under_review",
    "won": "won",
    "lost": "lost",
    "charge_refunded": "accepted",
    "prevented": "closed",
}


def stripe_reason(reason: str) -> str:
    """Return a Stripe (or Shopify Payments) reason, or ``general`` for one we do not know."""
    return reason if reason in REASONS else "general"


def square_reason(reason: str) -> str:
    """Map a Square dispute reason."""
    return SQUARE_REASONS.get(reason, "general")


def paypal_reason(reason: str) -> str:
    """Map a PayPal dispute reason."""
    return PAYPAL_REASONS.get(reason, "general")


def paypal_status(status: str, stage: str | None, outcome: str | None) -> str:
    """Map a PayPal dispute status, lifecycle stage and outcome to one storeguard status."""
    inquiry = (stage or "").upper() == "INQUIRY"
    if status == "RESOLVED":
        if inquiry:
            return "warning_closed"
        return {
            "RESOLVED_BUYER_FAVOUR": "lost",
            "RESOLVED_SELLER_FAVOUR": "won",
            "ACCEPTED": "accepted",
            "REFUNDED": "accepted",
        }.get((outcome or "").upper(), "closed")
    if status in {"OPEN", "WAITING_FOR_SELLER_RESPONSE"}:
        return "warning_needs_response" if inquiry else "needs_response"
    return "warning_under_review" if inquiry else "under_review"
