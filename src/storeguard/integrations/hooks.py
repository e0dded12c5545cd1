"""Where a mirrored order meets the rest of storeguard: identifiers and screening.

``after_order_ingested`` is the one seam: the lists domain records the order's identifiers
(email, phone, addresses, IP, card) and, for an order storeguard sees for the first time,
the screening domain screens it. Both are looked up by name so this package works whether or
not those domains are installed in this build.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.orders.models import Order

SHOPIFY_WEBHOOK = Actor("webhook", "shopify")


def _function(module: str, name: str) -> Callable[..., Any] | None:
    if importlib.util.find_spec(module.rsplit(".", 1)[0]) is None or importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def record_identifiers(session: Session, order: Order) -> None:
    """Record the order's identifiers for linking and lists (lists domain)."""
    fn = _function("storeguard.customers.identifiers", "record_order_identifiers")
    if fn is not None:
        fn(session, order)


def screening_available() -> bool:
    """Tell whether the screening domain is part of this build."""
    return _function("storeguard.screening.actions", "screen_existing_order") is not None


def screen_order(session: Session, order: Order) -> None:
    """Screen an order storeguard has just learned about (screening records its identifiers too)."""
    fn = _function("storeguard.screening.actions", "screen_existing_order")
    if fn is not None:
        fn(session, order_id=order.id, actor=SHOPIFY_WEBHOOK)
    else:
        record_identifiers(session, order)


def after_order_ingested(session: Session, order: Order, *, created: bool) -> None:
    """Screen a mirrored order the first time it is seen; on later versions refresh its identifiers."""
    if created:
        screen_order(session, order)
    else:
        record_identifiers(session, order)
