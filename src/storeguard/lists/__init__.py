"""Block and allow lists, blocking a customer, and the matcher that screening calls."""
