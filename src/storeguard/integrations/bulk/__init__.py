"""Bulk import of orders, customers, refunds, returns and blocklists from files."""
