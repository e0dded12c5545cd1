"""Support cases: conversations with customers, their log, and conduct incidents."""
