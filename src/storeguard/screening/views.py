"""Screening on the admin pages: the decision panel of the order page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from storeguard.orders.models import Order
from storeguard.screening import service
from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel

# A decision says its word beside its colour.
OUTCOMES = {
    Outcome.allow: (N_("Allow"), "ok"),
    Outcome.verify: (N_("Verify"), "info"),
    Outcome.review: (N_("Review"), "warn"),
    Outcome.block: (N_("Block"), "bad"),
}
OUTCOME_MEANING = {
    Outcome.allow: N_("The order may go ahead."),
    Outcome.verify: N_("The customer must pass an extra verification step first."),
    Outcome.review: N_("A person must look at the order before it is shipped."),
    Outcome.block: N_("The order should not go ahead."),
}
SOURCES = {
    ReasonSource.list: N_("Block list"),
    ReasonSource.link: N_("Linked account"),
    ReasonSource.rule: N_("Rule"),
    ReasonSource.signal: N_("Signal"),
    ReasonSource.velocity: N_("Velocity"),
    ReasonSource.segment: N_("Segment"),
    ReasonSource.catalogue: N_("Catalogue"),
}
# The line of a reason: strongest first, so a block reads before a signal's weight.
_TONE = {Outcome.block: "bad", Outcome.review: "warn", Outcome.verify: "info"}


def decision_panel(request: Request, session: Session, order: Order) -> Panel:
    """Show the order's latest screening decision with its reasons (or that it was never screened)."""
    decision = service.latest_decision(session, order.id)
    reasons: list[dict[str, Any]] = []
    if decision is not None:
        for reason in sorted(
            decision.reasons, key=lambda r: (not r.get("decisive"), -int(r.get("weight") or 0))
        ):
            action = reason.get("action")
            reasons.append(
                {
                    "message": reason.get("message") or reason.get("code"),
                    "code": reason.get("code"),
                    "source": SOURCES.get(reason.get("source"), N_("Signal")),
                    "weight": int(reason.get("weight") or 0),
                    "tone": _TONE.get(action, "") if action else "",
                    "decisive": bool(reason.get("decisive")),
                }
            )
    return Panel(
        "screening/_decision.html",
        {
            "decision": decision,
            "outcome": OUTCOMES.get(decision.decision) if decision else None,
            "meaning": OUTCOME_MEANING.get(decision.decision) if decision else None,
            "reasons": reasons,
        },
        order=10,
    )


add_panel("order.side", "screening.decision", decision_panel)
