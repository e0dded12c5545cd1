"""Notices to customers by mail: merchant-editable templates per kind and language, sent from the outbox."""
