"""Mail: what the outbox's ``email`` messages become, sent over SMTP."""
