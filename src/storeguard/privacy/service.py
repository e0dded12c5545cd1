"""A customer's export: every registered part, with when it was made."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storeguard.appeals import export as appeals_export  # noqa: F401 - registers its export part
from storeguard.cases import export as cases_export  # noqa: F401 - registers its export part
from storeguard.core.clock import now
from storeguard.core.privacy import export_parts
from storeguard.customers.service import get_customer
from storeguard.notifications import export as notifications_export  # noqa: F401 - registers its export part
from storeguard.privacy import parts  # noqa: F401 - registers the parts of the domains before privacy


def customer_export(session: Session, customer_id: int) -> dict[str, Any]:
    """Everything held about a customer, by part, as JSON-ready data (404 for an unknown customer)."""
    customer = get_customer(session, customer_id)
    return {
        "customer_id": customer.id,
        "shop_id": customer.shop_id,
        "exported_at": now().isoformat(),
        "parts": {name: part(session, customer) for name, part in export_parts().items()},
    }
