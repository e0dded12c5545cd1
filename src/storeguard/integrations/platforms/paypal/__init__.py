"""PayPal: dispute events."""
