"""Risk on the customer page: the score and how it adds up, the findings with the orders they rest
on, the segment it suggests, and the behaviour in figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.customers.filters import ListFilter, add_list_filter
from storeguard.customers.service import get_customer
from storeguard.risk import actions
from storeguard.risk.enums import FindingType, Segment
from storeguard.risk.errors import RiskError
from storeguard.risk.service import (
    assess_customer,
    customers_in_segment,
    customers_with_finding,
    finding_counts,
    order_numbers,
    privileges_of,
    segment_counts,
    segment_of,
    stored_risk,
)
from storeguard.shops.service import get_shop
from storeguard.staff.pages import PageBlockCustomers
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.forms import FormDep, attempt
from storeguard.web.i18n import N_, Speaker
from storeguard.web.panels import Panel, add_panel
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.timeline import register_event_words

FINDINGS = {
    FindingType.wardrobing: N_("Wardrobing"),
    FindingType.bracketing: N_("Bracketing"),
    FindingType.serial_returning: N_("Serial returning"),
    FindingType.low_value_refunds: N_("Low-value refunds without return"),
    FindingType.not_received_claims: N_("Not-received claims"),
    FindingType.chargeback_abuse: N_("Chargeback abuse"),
    FindingType.late_claims: N_("Late claims: wrong address, duplicate order or site error"),
    FindingType.evasion: N_("Evasion: linked to a blocked customer"),
}


def _privilege_words(privileges: dict[str, Any], said: Speaker) -> str:
    """What the customer's segment allows, in a sentence's words."""
    words = [said.gettext(text) for key, text in PRIVILEGE_WORDS.items() if privileges.get(key)]
    if privileges.get("extra_return_days"):
        words.append(said.gettext("%(n)s extra days to return", n=privileges["extra_return_days"]))
    return ", ".join(words) or said.gettext("none")


PRIVILEGE_WORDS = {
    "priority_support": N_("priority support"),
    "free_returns": N_("free returns"),
    "manual_review": N_("orders reviewed by a person"),
    "inspection_before_refund": N_("returns inspected before refund"),
}
register_event_words(
    {
        "customer_segment.accepted": N_("Moved to the suggested segment"),
        "customer_segment.dismissed": N_("Segment suggestion dismissed"),
    }
)
register_refusals(
    {
        RiskError.block_through_dialog: N_(
            "A move into blocked is a block: use Block… on this page, with a reason and the evidence."
        )
    }
)
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
    stored = stored_risk(session, customer.id)
    suggested = str(assessment.segment)
    segment = segment_of(session, customer.id)
    user = getattr(request.state, "page_user", None)
    return Panel(
        "risk/_customer_risk.html",
        {
            "a": assessment,
            "segment": segment,
            "suggestion": suggested
            if suggested not in (segment, stored.dismissed if stored else None)
            else None,
            "may_decide": user is not None and user.can(Permission.block_customers),
            "privileges": _privilege_words(privileges_of(segment), speaker(request)),
            "currency": get_shop(session, customer.shop_id).currency,
            "findings": FINDINGS,
            "segments": SEGMENTS,
            # Findings keep order ids; the page shows the numbers the shop knows its orders by.
            "numbers": order_numbers(session, (i for f in assessment.findings for i in f.order_ids)),
        },
        order=5,
    )


add_panel("customer.main", "risk.assessment", customer_risk_panel)

# The customers list filters by segment and by finding (customers imports no risk: risk offers them).
add_list_filter(
    ListFilter(
        name="segment",
        label=N_("Segment"),
        choices={str(s): words for s, (words, _) in SEGMENTS.items()},
        picks=customers_in_segment,
        counts=segment_counts,
    )
)
add_list_filter(
    ListFilter(
        name="finding",
        label=N_("Finding"),
        choices={str(t): words for t, words in FINDINGS.items()},
        picks=customers_with_finding,
        counts=finding_counts,
    )
)


def review_risk_panel(request: Request, session: Session, customer: Any) -> Panel:
    """In the review queue: the customer's score and findings, so the reviewer sees the pattern."""
    return Panel(
        "risk/_review_risk.html",
        {"a": assess_customer(session, customer.id), "findings": FINDINGS},
        order=10,
    )


add_panel("review.customer", "risk.findings", review_risk_panel)


router = APIRouter(include_in_schema=False)


def _decided(request: Request, customer_id: int, message: str) -> Response:
    response = RedirectResponse(f"/customers/{customer_id}#risk-h", status_code=303)
    flash.add(response, request, message)
    return response


@router.post("/customers/{customer_id}/segment/accept", name="risk.page_accept")
def accept(actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id) -> Response:
    """Place the customer in the suggested segment."""
    said = speaker(request)
    get_customer(session, customer_id)
    try:
        with attempt(session):
            row = actions.accept_suggestion(session, customer_id=customer_id, actor=actor)
    except DomainError as error:
        return _decided(request, customer_id, describe(error, said))
    session.commit()
    words = said.gettext(SEGMENTS[Segment(row.segment)][0])
    return _decided(
        request, customer_id, said.gettext("The customer is now in the %(segment)s segment.", segment=words)
    )


@router.post("/customers/{customer_id}/segment/dismiss", name="risk.page_dismiss")
def dismiss(
    actor: PageBlockCustomers, request: Request, session: SessionDep, customer_id: Id, data: FormDep
) -> Response:
    """Turn the suggestion down; the customer stays where they are."""
    said = speaker(request)
    get_customer(session, customer_id)
    actions.dismiss_suggestion(
        session, customer_id=customer_id, actor=actor, reason=str(data.get("reason") or "") or None
    )
    session.commit()
    return _decided(
        request, customer_id, said.gettext("Suggestion dismissed; the customer stays where they are.")
    )
