"""A customer's data as JSON, for a data-protection request. Takes ``read_audit`` (admins): the
export holds everything, the audit entries about them included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeguard.core.api import CanReadAudit, SessionDep
from storeguard.core.schemas import Id
from storeguard.privacy.actions import export_customer

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {404: {"description": "No such customer", **_PROBLEM}}
router = APIRouter(prefix="/v1", tags=["privacy"], responses=PROBLEMS)


@router.get("/customers/{customer_id}/export", name="privacy.export")
def export(actor: CanReadAudit, session: SessionDep, customer_id: Id) -> dict[str, Any]:
    """Everything held about the customer, by part (orders, identifiers, links, blocks, findings, audit, ...).

    The export itself is recorded in the audit log (who, when, which parts).
    """
    answer = export_customer(session, customer_id=customer_id, actor=actor)
    session.commit()
    return answer
