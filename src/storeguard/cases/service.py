"""Reading cases: the inbox by time left, one case, incidents and their precision, the legal queue, holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.cases import policy
from storeguard.cases.enums import CaseError, CaseQueue, CaseStatus, IncidentStatus
from storeguard.cases.models import BlockProposal, Case, CaseEntry, ConductIncident, LegalHold
from storeguard.core.errors import NotFound

OPEN = (CaseStatus.new, CaseStatus.open, CaseStatus.waiting_on_customer)


def get_case(session: Session, case_id: int) -> Case:
    """Return a case or 404."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(CaseError.case_not_found, f"no case {case_id}")
    return case


def list_cases(
    session: Session,
    *,
    queue: str | None = None,
    customer_id: int | None = None,
    done: bool = False,
    limit: int = 100,
) -> list[Case]:
    """Cases by time left: the one due soonest first (urgent ones before all); ended ones newest first."""
    stmt = select(Case).limit(limit)
    if queue is not None:
        stmt = stmt.where(Case.queue == queue)
    if customer_id is not None:
        stmt = stmt.where(Case.customer_id == customer_id)
    if done:
        return list(
            session.scalars(
                stmt.where(Case.status.not_in(OPEN)).order_by(Case.updated_at.desc(), Case.id.desc())
            )
        )
    due = when((Case.first_answered_at.is_(None), Case.first_answer_due_at), else_=Case.resolution_due_at)
    return list(session.scalars(stmt.where(Case.status.in_(OPEN)).order_by(Case.urgent.desc(), due, Case.id)))


def clock_of(case: Case, at: datetime) -> policy.Clock:
    """Where the case stands against its targets now."""
    return policy.case_clock(
        status=case.status,
        first_answer_due_at=case.first_answer_due_at,
        first_answered_at=case.first_answered_at,
        resolution_due_at=case.resolution_due_at,
        resolved_at=case.resolved_at,
        at=at,
    )


def breach_counts(session: Session, at: datetime) -> dict[str, int]:
    """How many cases missed their first-answer target and their resolution target."""
    first = session.scalar(
        select(func.count()).where(Case.first_answer_due_at < func.coalesce(Case.first_answered_at, at))
    )
    resolution = session.scalar(
        select(func.count()).where(Case.resolution_due_at < func.coalesce(Case.resolved_at, at))
    )
    return {"first_answer": first or 0, "resolution": resolution or 0}


def entries_of_case(session: Session, case_id: int) -> list[CaseEntry]:
    """A case's log, oldest first."""
    return list(session.scalars(select(CaseEntry).where(CaseEntry.case_id == case_id).order_by(CaseEntry.id)))


def incidents_of_case(session: Session, case_id: int) -> list[ConductIncident]:
    """A case's incidents, oldest first."""
    return list(
        session.scalars(
            select(ConductIncident).where(ConductIncident.case_id == case_id).order_by(ConductIncident.id)
        )
    )


def list_incidents(session: Session, *, status: str | None = None, limit: int = 200) -> list[ConductIncident]:
    """Incidents, newest first; those still to be looked at with ``status="detected"``."""
    stmt = select(ConductIncident).order_by(ConductIncident.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(ConductIncident.status == status)
    return list(session.scalars(stmt))


def incident_counts(session: Session) -> dict[str, int]:
    """How many detections the team confirmed, dismissed, and has still to look at."""
    counts = {str(s): 0 for s in IncidentStatus}
    stmt = select(ConductIncident.status, func.count()).group_by(ConductIncident.status)
    counts.update({str(s): n for s, n in session.execute(stmt)})
    return counts


def detection_precision(session: Session) -> float | None:
    """The share of reviewed detections the team confirmed (dismissed ones are false positives)."""
    counts = incident_counts(session)
    return policy.precision(counts[IncidentStatus.confirmed], counts[IncidentStatus.dismissed])


def open_proposals(session: Session, customer_id: int | None = None) -> list[BlockProposal]:
    """Block proposals waiting for a person."""
    stmt = select(BlockProposal).where(BlockProposal.status == "proposed").order_by(BlockProposal.id)
    if customer_id is not None:
        stmt = stmt.where(BlockProposal.customer_id == customer_id)
    return list(session.scalars(stmt))


def legal_queue(session: Session) -> list[Case]:
    """Cases escalated to legal, still open, soonest due first."""
    return list_cases(session, queue=CaseQueue.legal)


def active_holds(session: Session, customer_id: int | None = None) -> list[LegalHold]:
    """Legal holds not lifted."""
    stmt = select(LegalHold).where(LegalHold.lifted_at.is_(None)).order_by(LegalHold.id)
    if customer_id is not None:
        stmt = stmt.where(LegalHold.customer_id == customer_id)
    return list(session.scalars(stmt))


def is_on_legal_hold(session: Session, customer_id: int) -> bool:
    """Tell whether a customer's records are held: nothing of theirs may be erased while this is true."""
    return (
        session.scalar(
            select(LegalHold.id)
            .where(LegalHold.customer_id == customer_id, LegalHold.lifted_at.is_(None))
            .limit(1)
        )
        is not None
    )
