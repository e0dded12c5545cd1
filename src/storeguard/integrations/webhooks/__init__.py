"""Webhooks in: verify and store each delivery once, then process it (inline or by the worker), never losing one."""
