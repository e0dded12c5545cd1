"""A believable demo store: one shop, its catalogue, a year of customers and orders, and the truth about them."""
