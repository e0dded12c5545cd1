"""Dispute states in storeguard's own vocabulary (each gateway's states map onto these)."""

from enum import StrEnum


class DisputeStatus(StrEnum):
    warning_needs_response = "warning_needs_response"  # an inquiry / early warning
    warning_under_review = "warning_under_review"
    warning_closed = "warning_closed"
    needs_response = "needs_response"
    under_review = "under_review"
    won = "won"
    lost = "lost"
    accepted = "accepted"  # the merchant accepted the chargeback
    closed = "closed"  # resolved without a won/lost outcome we can tell

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {
        DisputeStatus.won,
        DisputeStatus.lost,
        DisputeStatus.accepted,
        DisputeStatus.closed,
        DisputeStatus.warning_closed,
    }
)


class DisputeGateway(StrEnum):
    stripe = "stripe"
    square = "square"
    paypal = "paypal"
    shopify_payments = "shopify_payments"
    manual = "manual"


class DisputeReason(StrEnum):
    """One reason across gateways, for the inbox, the rebuttal letter and the win rate."""

    fraud = "fraud"
    not_received = "not_received"
    not_as_described = "not_as_described"
    duplicate = "duplicate"
    credit_not_processed = "credit_not_processed"
    subscription = "subscription"
    other = "other"


class DisputeEscalation(StrEnum):
    """Where a dispute goes past the gateway's first answer (a card network's pre-arbitration or
    arbitration, or a mediator): worth it for high amounts only, since the fees are high."""

    mediation = "mediation"
    arbitration = "arbitration"


class DisputeResponse(StrEnum):
    accepted = "accepted"  # not contested
    contested = "contested"


class DisputeError(StrEnum):
    dispute_not_found = "dispute_not_found"
    dispute_closed = "dispute_closed"
    already_answered = "already_answered"
    reason_required = "acceptance_reason_required"
    note_required = "note_required"
    past_due = "past_due"
    invalid_outcome = "invalid_outcome"
    already_submitted = "evidence_already_submitted"
    not_contestable = "evidence_not_contestable"
    order_unmatched = "order_unmatched"
    over_gateway_limit = "evidence_over_gateway_limit"
    file_type_refused = "file_not_pdf_or_image"
    file_too_large = "file_too_large"
    unknown_evidence_item = "unknown_evidence_item"
    unknown_language = "unknown_language"
    gateway_not_wired = "gateway_not_wired"
    unknown_reason = "unknown_reason"
    invalid_escalation = "invalid_escalation"
    dispute_exists = "dispute_exists"
    unknown_gateway = "unknown_gateway"
    order_not_found = "order_not_found"
    nothing_to_escalate = "nothing_to_escalate"


class EvidenceItem(StrEnum):
    """One part of an evidence pack; the win rate by evidence counts these."""

    letter = "letter"
    order = "order"
    customer = "customer"
    purchase_device = "purchase_device"
    fulfilment = "fulfilment"
    proof_of_delivery = "proof_of_delivery"
    refunds = "refunds"
    communication = "communication"
    policies = "policies"
    prior_orders = "prior_orders"
    compelling_evidence_3 = "compelling_evidence_3"
    files = "files"
