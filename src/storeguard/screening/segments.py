"""The segment of a customer risk has not assessed yet, for their page and the returns desk.

Screening places such a customer at checkout with ``policy.segment_for`` from their history; this
gives risk's ``segment_of`` the same placement, so the page shows what the checkout decided with.
Risk cannot import screening (screening reads risk), so screening registers it; ``storeguard.models``
imports this module with the tables.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.risk.service import place_unassessed_with
from storeguard.screening.metrics import customer_metrics
from storeguard.screening.policy import segment_for
from storeguard.screening.reads import shop_context


def unassessed_segment(session: Session, customer_id: int) -> str:
    """Place a customer risk has not assessed by screening's thresholds over their whole history.

    Links to blocked customers are not read here (the checkout finds them through the lists); a
    linked customer is assessed by risk soon after the link is made, and is then in risk's segment.
    """
    shop_id = session.scalar(select(Customer.shop_id).where(Customer.id == customer_id))
    shop = shop_context(session, shop_id) if shop_id is not None else None
    if shop is None:
        return "neutral"
    return segment_for(
        customer_metrics(session, customer_id),
        shop.screening["segments"],
        blocked=False,
        min_spent_vip=shop.amount(("segments", "vip", "min_spent"), shop.currency),
    )


place_unassessed_with(unassessed_segment)
