"""JSON routes for appeals: the queue by target time, one appeal, and the decision.

Reading takes ``read``; deciding takes ``block_customers``, and the person who made the block may
not decide (an owner may, with ``override_reason``). Customers appeal on the public page only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storeguard.appeals import actions, service
from storeguard.appeals.enums import AppealStatus
from storeguard.appeals.models import Appeal
from storeguard.appeals.policy import is_overdue
from storeguard.appeals.schemas import AppealRead, DecideAppealIn
from storeguard.core.api import CanBlockCustomers, CanRead, Page, PagingDep, SessionDep
from storeguard.core.clock import now
from storeguard.core.schemas import Id
from storeguard.shops.api import ShopFilter

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "You made the block (own_block)", **_PROBLEM},
    404: {"description": "No such appeal (appeal_not_found)", **_PROBLEM},
    409: {"description": "Decided already (already_decided)", **_PROBLEM},
    422: {"description": "Invalid input (condition_required, override_reason_required, …)", **_PROBLEM},
}
router = APIRouter(prefix="/v1", tags=["appeals"], responses=PROBLEMS)


def appeal_read(appeal: Appeal) -> AppealRead:
    """An appeal as the API gives it, with whether it is past its target time."""
    read = AppealRead.model_validate(appeal)
    return read.model_copy(
        update={"overdue": is_overdue(AppealStatus(appeal.status), appeal.answer_by, now())}
    )


@router.get("/appeals", name="appeals.list")
def list_appeals(
    actor: CanRead,
    session: SessionDep,
    paging: PagingDep,
    shop_id: ShopFilter,
    status: AppealStatus | None = AppealStatus.open,
    customer_id: Id | None = None,
) -> Page[AppealRead]:
    """The queue: appeals (waiting ones by default), the soonest target time first."""
    rows, total = service.list_appeals(
        session,
        status=status,
        shop_id=shop_id,
        customer_id=customer_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=[appeal_read(a) for a in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/appeals/{appeal_id}", name="appeals.detail")
def get_appeal(actor: CanRead, appeal_id: Id, session: SessionDep) -> AppealRead:
    """One appeal with the customer's words and the files they sent (as names, types and sizes)."""
    return appeal_read(service.get_appeal(session, appeal_id))


@router.post("/appeals/{appeal_id}/decide", name="appeals.decide")
def decide(actor: CanBlockCustomers, appeal_id: Id, body: DecideAppealIn, session: SessionDep) -> AppealRead:
    """Uphold, lift, or lift with a condition; the customer is told by mail in their language."""
    actions.decide_appeal(
        session,
        appeal_id=appeal_id,
        actor=actor,
        decision=body.decision,
        note=body.note,
        condition=body.condition,
        override_reason=body.override_reason,
    )
    session.commit()
    session.expire_all()
    return appeal_read(service.get_appeal(session, appeal_id))
