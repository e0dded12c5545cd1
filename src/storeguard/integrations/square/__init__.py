"""Square: dispute events."""
