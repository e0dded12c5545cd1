"""The audit log's admin page: every recorded change, filtered and read by key."""
