"""A customer's data as JSON, for a data-protection request. Takes ``read_audit`` (admins): the
export holds everything, the audit entries about them included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeguard.core.api import CanErasePersonalData, CanManageSettings, CanReadAudit, SessionDep, Viewer
from storeguard.core.schemas import Id
from storeguard.privacy.actions import erase_customer, export_customer
from storeguard.privacy.retention import apply_retention, retention_limits, set_retention
from storeguard.privacy.schemas import (
    ErasureRead,
    ErasureRequest,
    RetentionLimits,
    RetentionRun,
    RetentionRunRequest,
)
from storeguard.shops.service import get_shop

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


@router.get("/shops/{shop_id}/retention", name="privacy.retention")
def get_retention(actor: Viewer, session: SessionDep, shop_id: Id) -> RetentionLimits:
    """The shop's retention limits, in days (null: kept)."""
    return RetentionLimits(**retention_limits(get_shop(session, shop_id)))


@router.put("/shops/{shop_id}/retention", name="privacy.set_retention")
def put_retention(
    actor: CanManageSettings, session: SessionDep, shop_id: Id, body: RetentionLimits
) -> RetentionLimits:
    """Set after how many days closed cases, messages and ended blocks' identifiers are erased or hashed."""
    limits = set_retention(session, shop_id=shop_id, limits=body.model_dump(), actor=actor)
    session.commit()
    return RetentionLimits(**limits)


@router.post("/privacy/retention/run", name="privacy.run_retention")
def run_retention(
    actor: CanErasePersonalData, session: SessionDep, body: RetentionRunRequest
) -> RetentionRun:
    """Apply every shop's retention limits now (the background work does it hourly); ``dry_run`` (the
    default) only says what would go."""
    report = apply_retention(session, actor=actor, dry_run=body.dry_run)
    session.commit()
    report.remove_files()
    return RetentionRun(
        dry_run=body.dry_run, erased=report.counts(), skipped_without_key=report.skipped_without_key
    )
