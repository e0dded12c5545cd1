"""A customer's data as JSON, for a data-protection request. Takes ``read_audit`` (admins): the
export holds everything, the audit entries about them included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeguard.core.api import CanErasePersonalData, CanReadAudit, SessionDep
from storeguard.core.schemas import Id
from storeguard.privacy.actions import erase_customer, export_customer
from storeguard.privacy.schemas import ErasureRead, ErasureRequest

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {404: {"description": "No such customer", **_PROBLEM}}
ERASURE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "Under a legal hold, erased already, or no erasure key set", **_PROBLEM},
    422: {"description": "No reason given", **_PROBLEM},
}
router = APIRouter(prefix="/v1", tags=["privacy"], responses=PROBLEMS)


@router.get("/customers/{customer_id}/export", name="privacy.export")
def export(actor: CanReadAudit, session: SessionDep, customer_id: Id) -> dict[str, Any]:
    """Everything held about the customer, by part (orders, identifiers, links, blocks, findings, audit, ...).

    The export itself is recorded in the audit log (who, when, which parts).
    """
    answer = export_customer(session, customer_id=customer_id, actor=actor)
    session.commit()
    return answer


@router.post("/customers/{customer_id}/erase", name="privacy.erase", responses=ERASURE_PROBLEMS)
def erase(
    actor: CanErasePersonalData, session: SessionDep, customer_id: Id, body: ErasureRequest
) -> ErasureRead:
    """Erase the customer's personal data everywhere, on their request (admins).

    Orders keep amounts and products; identifiers an active block needs are kept only as keyed
    hashes, so the block still stops them. Refused with ``legal_hold`` while a case holds their
    records, and with ``erasure_key_not_set`` until the server has an erasure key.
    """
    result = erase_customer(session, customer_id=customer_id, actor=actor, reason=body.reason)
    session.commit()
    result.remove_files()
    return ErasureRead(**result.answer())
