"""The merchant's refund, return and cancellation policies: versioned documents with effective dates."""
