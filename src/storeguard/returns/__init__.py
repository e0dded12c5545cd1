"""Returns (RMA): a return is requested, authorized or declined, received, inspected, then refunded
or rejected, one audited step at a time, with the shop's return policy as data."""
