"""Webhooks in (Shopify, Stripe, Square, PayPal), actions out (Shopify Admin API), bulk imports."""
