"""The events a merchant can subscribe to, each raised by one audited action."""

from __future__ import annotations

# audit action -> the outbound event it raises (one table: the domains stay unaware of subscriptions)
FROM_AUDIT: dict[str, str] = {
    "order.screened": "decision.made",
    "order.held": "order.held",
    "review.approved": "order.released",
    "order.cancelled": "order.cancelled",
    "order.refunded": "order.refunded",
    "customer.blocked": "customer.blocked",
    "customer.block_lifted": "customer.unblocked",
    "list_entry.created": "list_entry.created",
    "list_entry.lifted": "list_entry.lifted",
    "dispute.opened": "dispute.opened",
    "dispute.updated": "dispute.updated",
    "appeal.submitted": "appeal.submitted",
    "appeal.decided": "appeal.decided",
    "case.opened": "case.opened",
}

EVENT_NAMES: tuple[str, ...] = tuple(sorted(set(FROM_AUDIT.values())))
