"""The only code that changes stored risk: recompute assessments, and a person's segment decisions.

A suggestion never moves a customer by itself: a person accepts it (or dismisses it). Moving a
customer into "blocked" is a block, so it goes through the block dialog, never through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Conflict
from storeguard.customers.models import Customer
from storeguard.risk.enums import Segment
from storeguard.risk.errors import RiskError
from storeguard.risk.models import CustomerRisk
from storeguard.risk.policy import MODEL_VERSION, Assessment, current_segment
from storeguard.risk.service import assess_customer, assess_shop

BATCH = 2000


def recompute_risk(
    session: Session, *, shop_id: int, progress: Callable[[int, int], None] | None = None
) -> int:
    """Assess every customer of the shop again and store it; a person's segment decisions stay."""
    assessments = assess_shop(session, shop_id)
    stored = {
        row.customer_id: row
        for row in session.scalars(select(CustomerRisk).where(CustomerRisk.shop_id == shop_id))
    }
    at = now()
    for n, assessment in enumerate(assessments.values(), start=1):
        row = stored.get(assessment.customer_id)
        if row is None:
            row = CustomerRisk(customer_id=assessment.customer_id, shop_id=shop_id, segment=Segment.neutral)
            session.add(row)
        _fill(row, assessment, at)
        if progress is not None and (n % BATCH == 0 or n == len(assessments)):
            session.flush()
            progress(n, len(assessments))
    session.flush()
    return len(assessments)


def assess_and_store(session: Session, customer_id: int) -> CustomerRisk:
    """Assess one customer now and store it (their segment, as a person set it, stays)."""
    assessment = assess_customer(session, customer_id)
    row = session.scalar(
        select(CustomerRisk).where(CustomerRisk.customer_id == customer_id).with_for_update()
    )
    if row is None:
        customer = session.get(Customer, customer_id)
        assert customer is not None  # assess_customer found it
        row = CustomerRisk(customer_id=customer_id, shop_id=customer.shop_id, segment=Segment.neutral)
        session.add(row)
    _fill(row, assessment, now())
    session.flush()
    return row


def accept_suggestion(
    session: Session, *, customer_id: int, actor: Actor, note: str | None = None
) -> CustomerRisk:
    """Place the customer in the segment their findings suggest, as assessed now."""
    row = assess_and_store(session, customer_id)
    if row.suggested == Segment.blocked:
        raise Conflict(
            RiskError.block_through_dialog,
            "a move into blocked is a block: use the block dialog, with its reason and evidence",
        )
    before = row.segment
    row.segment, row.dismissed = row.suggested, None
    row.decided_at, row.decided_by = now(), str(actor)
    session.flush()
    _audit(session, row, actor, "customer_segment.accepted", before, reason=note)
    return row


def dismiss_suggestion(
    session: Session, *, customer_id: int, actor: Actor, reason: str | None = None
) -> CustomerRisk:
    """Keep the customer where they are and remember which suggestion a person turned down."""
    row = assess_and_store(session, customer_id)
    row.dismissed = row.suggested
    row.decided_at, row.decided_by = now(), str(actor)
    session.flush()
    _audit(session, row, actor, "customer_segment.dismissed", row.segment, reason=reason)
    return row


def pending_suggestions(rows: Iterable[CustomerRisk]) -> list[CustomerRisk]:
    """Suggestions a person has not decided on yet (not what the customer is, not turned down)."""
    return [r for r in rows if r.suggested != r.segment and r.suggested != r.dismissed]


def _fill(row: CustomerRisk, a: Assessment, at: Any) -> None:
    row.score, row.suggested, row.model_version, row.computed_at = a.score, str(a.segment), MODEL_VERSION, at
    row.segment = current_segment(row.segment, row.decided_at is not None, row.suggested)
    row.findings = [
        {
            "type": str(f.type),
            "confidence": round(f.confidence, 3),
            "words": f.words,
            "order_ids": list(f.order_ids),
            "refund_ids": list(f.refund_ids),
            "dispute_ids": list(f.dispute_ids),
            "customer_ids": list(f.customer_ids),
        }
        for f in a.findings
    ]
    row.contributions = [{"type": str(c.type), "points": c.points, "words": c.words} for c in a.contributions]


def _audit(
    session: Session, row: CustomerRisk, actor: Actor, action: str, before: str, *, reason: str | None = None
) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type="customer",
        subject_id=row.customer_id,
        before={"segment": before},
        after={"segment": row.segment, "suggested": row.suggested},
        reason=reason,
        data={"score": row.score, "model_version": row.model_version},
    )
