"""The codes integrations refuse with: webhooks, connections, imports, outbound calls."""

from enum import StrEnum


class IntegrationError(StrEnum):
    api_base_url_invalid = "api_base_url_invalid"
    event_incomplete = "event_incomplete"
    event_not_json = "event_not_json"
    gateway_unknown = "gateway_unknown"
    import_file_missing = "import_file_missing"
    import_kind_elsewhere = "import_kind_elsewhere"
    import_kind_unavailable = "import_kind_unavailable"
    import_kind_unknown = "import_kind_unknown"
    import_preset_unknown = "import_preset_unknown"
    nothing_to_store = "nothing_to_store"
    outbox_message_not_dead = "outbox_message_not_dead"
    delivery_not_failed = "delivery_not_failed"
    secret_empty = "secret_empty"
    shop_mismatch = "shop_mismatch"
    signature_algorithm_unsupported = "signature_algorithm_unsupported"
    signature_expired = "signature_expired"
    signature_invalid = "signature_invalid"
    signature_malformed = "signature_malformed"
    signature_missing = "signature_missing"
    cert_url_untrusted = "cert_url_untrusted"
    webhook_delivery_not_found = "webhook_delivery_not_found"
    webhook_headers_missing = "webhook_headers_missing"
    webhook_not_configured = "webhook_not_configured"
