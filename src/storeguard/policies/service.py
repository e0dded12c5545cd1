"""Reading policies: a shop's versions, and the one in effect at a moment (an order's purchase)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.policies.enums import PolicyKind
from storeguard.policies.models import PolicyVersion


def list_policy_versions(
    session: Session, *, shop_id: int | None = None, kind: PolicyKind | str | None = None
) -> list[PolicyVersion]:
    """Every version, by shop and kind, newest first."""
    stmt = select(PolicyVersion)
    if shop_id is not None:
        stmt = stmt.where(PolicyVersion.shop_id == shop_id)
    if kind is not None:
        stmt = stmt.where(PolicyVersion.kind == str(kind))
    return list(
        session.scalars(
            stmt.order_by(PolicyVersion.shop_id, PolicyVersion.kind, PolicyVersion.version.desc())
        )
    )


def policy_in_effect(
    session: Session, *, shop_id: int, kind: PolicyKind | str, at: datetime
) -> PolicyVersion | None:
    """The version the customer accepted at ``at``: the latest that had taken effect by then."""
    return session.scalar(
        select(PolicyVersion)
        .where(
            PolicyVersion.shop_id == shop_id,
            PolicyVersion.kind == str(kind),
            PolicyVersion.effective_from <= at,
        )
        .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.version.desc())
        .limit(1)
    )


def policies_in_effect(session: Session, *, shop_id: int, at: datetime) -> list[PolicyVersion]:
    """The refund, return and cancellation policies in effect at ``at`` (those that existed)."""
    found = (policy_in_effect(session, shop_id=shop_id, kind=k, at=at) for k in PolicyKind)
    return [p for p in found if p is not None]
