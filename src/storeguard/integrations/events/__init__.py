"""Outbound events for the merchant's other systems: subscriptions, signed deliveries and their attempts.

What storeguard decided reaches a subscribed URL as a signed JSON event. Events are raised from the
audit log (``catalog.FROM_AUDIT`` maps each audited action to the event it means), so no domain
knows that subscriptions exist; each delivery is an outbox message, retried with backoff by the
worker's pass, and every attempt is kept so a merchant can see what their receiver answered.
"""
