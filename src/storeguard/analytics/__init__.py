"""Analytics: what the blocklist teaches (traits, returns by product), what disputes and screening
did, and what difficult customers cost, for one shop over a chosen period."""
