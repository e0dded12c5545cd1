"""JSON routes for risk: a customer's assessment, their privileges, and a person's segment decision.

Reading takes ``read``; accepting or dismissing a suggested segment takes ``block_customers``
(agents), since a segment changes what a customer may do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from storeguard.core.api import CanBlockCustomers, CanRead, SessionDep
from storeguard.core.schemas import Id, InputModel
from storeguard.customers.service import get_customer
from storeguard.risk import actions, service
from storeguard.risk.enums import Segment

router = APIRouter(prefix="/v1", tags=["risk"])


class PrivilegesRead(BaseModel):
    customer_id: int
    segment: str = Field(description="vip, good, neutral, watch, restricted or blocked")
    priority_support: bool
    free_returns: bool
    extra_return_days: int
    manual_review: bool
    inspection_before_refund: bool


class RiskRead(BaseModel):
    customer_id: int
    score: int | None
    segment: str
    suggested_segment: str | None
    dismissed_suggestion: str | None
    findings: list[dict[str, Any]]
    contributions: list[dict[str, Any]]
    model_version: str | None
    computed_at: Any


class DismissIn(InputModel):
    reason: str | None = Field(default=None, max_length=2000)


class AcceptIn(InputModel):
    note: str | None = Field(default=None, max_length=2000, description="Why, for the audit log.")


def _risk(session: SessionDep, customer_id: int) -> RiskRead:
    get_customer(session, customer_id)
    row = service.stored_risk(session, customer_id)
    return RiskRead(
        customer_id=customer_id,
        score=row.score if row else None,
        segment=row.segment if row else Segment.neutral,
        suggested_segment=row.suggested if row else None,
        dismissed_suggestion=row.dismissed if row else None,
        findings=row.findings if row else [],
        contributions=row.contributions if row else [],
        model_version=row.model_version if row else None,
        computed_at=row.computed_at if row else None,
    )


@router.get("/customers/{customer_id}/privileges", name="risk.privileges")
def privileges(actor: CanRead, customer_id: Id, session: SessionDep) -> PrivilegesRead:
    """What the storefront may offer this customer, from the segment they are in (as on their page)."""
    get_customer(session, customer_id)
    segment = service.segment_of(session, customer_id)
    return PrivilegesRead(customer_id=customer_id, segment=segment, **service.privileges_of(segment))


@router.get("/customers/{customer_id}/risk", name="risk.customer")
def customer_risk(actor: CanRead, customer_id: Id, session: SessionDep) -> RiskRead:
    """The customer's stored assessment: score, findings with evidence, the suggested segment."""
    return _risk(session, customer_id)


@router.post("/customers/{customer_id}/segment/accept", name="risk.accept_segment")
def accept(actor: CanBlockCustomers, customer_id: Id, body: AcceptIn, session: SessionDep) -> RiskRead:
    """Place the customer in the suggested segment (a move into blocked goes through a block)."""
    get_customer(session, customer_id)
    actions.accept_suggestion(session, customer_id=customer_id, actor=actor, note=body.note)
    session.commit()
    return _risk(session, customer_id)


@router.post("/customers/{customer_id}/segment/dismiss", name="risk.dismiss_segment")
def dismiss(actor: CanBlockCustomers, customer_id: Id, body: DismissIn, session: SessionDep) -> RiskRead:
    """Keep the customer's segment and turn the suggestion down."""
    get_customer(session, customer_id)
    actions.dismiss_suggestion(session, customer_id=customer_id, actor=actor, reason=body.reason)
    session.commit()
    return _risk(session, customer_id)
