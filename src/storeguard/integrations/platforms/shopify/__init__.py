"""Shopify: webhooks in, Admin GraphQL actions out."""
