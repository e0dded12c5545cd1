"""Risk on the customer page: the score and how it adds up, the findings with the orders they rest
on, the segment it suggests, and the behaviour in figures."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from storeguard.risk.enums import FindingType, Segment
from storeguard.risk.service import assess_customer
from storeguard.shops.service import get_shop
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel

FINDINGS = {
    FindingType.wardrobing: N_("Wardrobing"),
    FindingType.bracketing: N_("Bracketing"),
    FindingType.serial_returning: N_("Serial returning"),
    FindingType.low_value_refunds: N_("Low-value refunds without return"),
    FindingType.not_received_claims: N_("Not-received claims"),
    FindingType.chargeback_abuse: N_("Chargeback abuse"),
    FindingType.evasion: N_("Evasion: linked to a blocked customer"),
}
SEGMENTS = {
    Segment.vip: (N_("VIP"), "ok"),
    Segment.good: (N_("Good"), "ok"),
    Segment.neutral: (N_("Neutral"), ""),
    Segment.watch: (N_("Watch"), "warn"),
    Segment.restricted: (N_("Restricted"), "bad"),
    Segment.blocked: (N_("Blocked"), "bad"),
}


def customer_risk_panel(request: Request, session: Session, customer: Any) -> Panel:
    """The customer's risk: score, contributions, findings with evidence, suggested segment."""
    assessment = assess_customer(session, customer.id)
    return Panel(
        "risk/_customer_risk.html",
        {
            "a": assessment,
            "currency": get_shop(session, customer.shop_id).currency,
            "findings": FINDINGS,
            "segments": SEGMENTS,
        },
        order=5,
    )


add_panel("customer.main", "risk.assessment", customer_risk_panel)
