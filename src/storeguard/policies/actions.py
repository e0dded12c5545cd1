"""Publishing a policy version: the only change policies know; history is never rewritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Conflict, Invalid, NotFound
from storeguard.policies.enums import PolicyError, PolicyKind
from storeguard.policies.models import PolicyVersion
from storeguard.shops.models import Shop


def publish_policy_version(
    session: Session,
    *,
    shop_id: int,
    kind: PolicyKind | str,
    title: str,
    body: str,
    actor: Actor,
    language: str = "en",
    effective_from: datetime | None = None,
) -> PolicyVersion:
    """Add the next version of a shop's policy, in effect from ``effective_from`` (now by default).

    A version may not take effect before the last one: what a customer accepted in the past
    stays what the records say, so a dispute's evidence never changes after the fact.
    """
    text = (body or "").strip()
    if not text:
        raise Invalid(PolicyError.policy_text_required, "a policy needs its text", field="body")
    shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update(key_share=True))
    if shop is None:
        raise NotFound(PolicyError.policy_not_found, f"no shop {shop_id}", field="shop_id")
    kind = PolicyKind(kind)
    starts = effective_from or now()
    last = session.execute(
        select(func.max(PolicyVersion.version), func.max(PolicyVersion.effective_from)).where(
            PolicyVersion.shop_id == shop_id, PolicyVersion.kind == kind.value
        )
    ).one()
    if last[1] is not None and starts < last[1]:
        raise Conflict(
            PolicyError.effective_before_previous,
            f"version {last[0]} of the {kind.value} policy took effect {last[1]:%Y-%m-%d %H:%M} UTC; "
            "a new version cannot take effect before it",
            field="effective_from",
        )
    version = PolicyVersion(
        shop_id=shop_id,
        kind=kind,
        version=(last[0] or 0) + 1,
        title=title.strip(),
        body=text,
        language=language,
        effective_from=starts,
        created_by=str(actor),
    )
    session.add(version)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="policy.published",
        subject_type="policy",
        subject_id=version.id,
        shop_id=shop_id,
        after={"kind": kind.value, "version": version.version, "effective_from": starts.isoformat()},
    )
    return version
