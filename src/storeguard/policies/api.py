"""JSON routes for policies: publish a version (admins), read versions and the one in effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from storeguard.core.api import CanManageSettings, CanRead, SessionDep
from storeguard.core.errors import NotFound
from storeguard.core.schemas import Id
from storeguard.policies import actions, service
from storeguard.policies.enums import PolicyError, PolicyKind
from storeguard.policies.schemas import PolicyVersionCreate, PolicyVersionRead

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such shop, or no version in effect then (policy_not_found)", **_PROBLEM},
    409: {"description": "Takes effect before the last version (effective_before_previous)", **_PROBLEM},
    422: {"description": "Invalid input (policy_text_required, …)", **_PROBLEM},
}
router = APIRouter(prefix="/v1", tags=["policies"], responses=PROBLEMS)


@router.post("/policies", status_code=201, name="policies.publish")
def publish(actor: CanManageSettings, body: PolicyVersionCreate, session: SessionDep) -> PolicyVersionRead:
    """Publish the next version of a refund, return or cancellation policy."""
    version = actions.publish_policy_version(
        session,
        shop_id=body.shop_id,
        kind=body.kind,
        title=body.title,
        body=body.body,
        language=body.language,
        effective_from=body.effective_from,
        actor=actor,
    )
    session.commit()
    return PolicyVersionRead.model_validate(version)


@router.get("/policies", name="policies.list")
def list_versions(
    actor: CanRead, session: SessionDep, shop_id: Id | None = None, kind: PolicyKind | None = None
) -> list[PolicyVersionRead]:
    """Every version, newest first, for a shop and kind."""
    rows = service.list_policy_versions(session, shop_id=shop_id, kind=kind)
    return [PolicyVersionRead.model_validate(v) for v in rows]


@router.get("/policies/in-effect", name="policies.in_effect")
def in_effect(
    actor: CanRead, session: SessionDep, shop_id: Id, kind: PolicyKind, at: datetime
) -> PolicyVersionRead:
    """The version a customer accepted at ``at`` (an order's purchase time)."""
    found = service.policy_in_effect(session, shop_id=shop_id, kind=kind, at=at)
    if found is None:
        raise NotFound(
            PolicyError.policy_not_found, f"no {kind.value} policy was in effect at {at:%Y-%m-%d %H:%M}"
        )
    return PolicyVersionRead.model_validate(found)
