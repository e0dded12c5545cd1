"""States of webhook deliveries and imports, and the sources they come from."""

from enum import StrEnum


class DeliverySource(StrEnum):
    shopify = "shopify"
    stripe = "stripe"
    square = "square"
    paypal = "paypal"


class DeliveryStatus(StrEnum):
    received = "received"  # acknowledged, waiting to be processed
    processed = "processed"
    ignored = "ignored"  # a topic storeguard does not use: stored, not an error
    failed = "failed"  # gave up after MAX_ATTEMPTS; a person can retry it


class SecretScope(StrEnum):
    shop = "shop"
    gateway = "gateway"


class SecretName(StrEnum):
    webhook_secret = "webhook_secret"
    access_token = "access_token"  # Shopify Admin API token
    webhook_id = "webhook_id"  # PayPal's id of the webhook subscription (part of the signed string)
    notification_url = "notification_url"  # Square signs the URL it posted to
    api_key = "api_key"  # Stripe's secret key, for the calls storeguard makes (dispute evidence)


class ImportKind(StrEnum):
    shopify = "shopify"
    customers = "customers"
    orders = "orders"
    refunds = "refunds"
    returns = "returns"
    blocklist = "blocklist"


class ImportStatus(StrEnum):
    running = "running"
    finished = "finished"
