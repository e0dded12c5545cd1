"""Stripe: dispute, refund and early-fraud-warning events."""
