"""Screening: one decision per order (allow, verify, review, block) with a score and readable reasons."""
