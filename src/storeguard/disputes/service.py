"""Reading disputes: the inbox by deadline, one dispute with its history and notes, the due-date calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.clock import ensure_utc
from storeguard.core.enums import OutboxStatus
from storeguard.core.errors import NotFound
from storeguard.core.models import OutboxMessage
from storeguard.core.pages import fetch_page
from storeguard.disputes.enums import DisputeError, DisputeStatus
from storeguard.disputes.models import Dispute, DisputeFile
from storeguard.disputes.policy import (
    ANSWERABLE,
    escalation_threshold,
    normalized_reason,
    reminder_key_prefix,
)
from storeguard.shops.models import Shop

# Open first, by deadline (none last); then the rest, newest first.
_OPEN_FIRST = (
    Dispute.status.not_in([s.value for s in ANSWERABLE]),
    Dispute.evidence_due_at.is_(None),
    Dispute.evidence_due_at,
    Dispute.id.desc(),
)


def get_dispute(session: Session, dispute_id: int) -> Dispute:
    """One dispute with its gateway events and notes, or refuse with 404."""
    dispute = session.scalar(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .options(selectinload(Dispute.events), selectinload(Dispute.notes))
    )
    if dispute is None:
        raise NotFound(DisputeError.dispute_not_found, f"no dispute {dispute_id}")
    return dispute


def file_bytes(session: Session, dispute_id: int) -> dict[int, bytes]:
    """The bytes of a dispute's files by id, for the PDF."""
    rows = session.execute(
        select(DisputeFile.id, DisputeFile.data).where(DisputeFile.dispute_id == dispute_id)
    )
    return {file_id: data for file_id, data in rows}


def next_reminders(session: Session, dispute_ids: Iterable[int]) -> dict[int, datetime]:
    """When the next deadline reminder of each dispute goes to the team, for those with one queued."""
    out: dict[int, datetime] = {}
    for dispute_id in set(dispute_ids):
        due = session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.pending,
                OutboxMessage.dedupe_key.startswith(reminder_key_prefix(dispute_id)),
            )
        )
        if due is not None:
            out[dispute_id] = ensure_utc(due)
    return out


def list_disputes(
    session: Session,
    *,
    shop_id: int | None = None,
    status: DisputeStatus | str | None = None,
    gateway: str | None = None,
    due_before: datetime | None = None,
    open_only: bool = False,
    order_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Dispute], int]:
    """The inbox: disputes still waiting for an answer by time left, then the rest; and how many match."""
    stmt = select(Dispute)
    if shop_id is not None:
        stmt = stmt.where(Dispute.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(Dispute.status == str(status))
    if gateway is not None:
        stmt = stmt.where(Dispute.gateway == gateway)
    if due_before is not None:
        stmt = stmt.where(Dispute.evidence_due_at < due_before)
    if order_id is not None:
        stmt = stmt.where(Dispute.order_id == order_id)
    if open_only:
        stmt = stmt.where(Dispute.status.in_([s.value for s in ANSWERABLE]))
    return fetch_page(session, stmt, *_OPEN_FIRST, limit=limit, offset=offset)


def unanswered_due(session: Session, now: datetime, before: datetime) -> tuple[int, int]:
    """Disputes still unanswered whose deadline comes before ``before``, and those already past it."""
    base = select(func.count()).where(
        Dispute.status.in_([s.value for s in ANSWERABLE]), Dispute.response.is_(None)
    )
    soon = int(
        session.scalar(base.where(Dispute.evidence_due_at < before, Dispute.evidence_due_at > now)) or 0
    )
    late = int(session.scalar(base.where(Dispute.evidence_due_at <= now)) or 0)
    return soon, late


def calendar_disputes(session: Session) -> list[Dispute]:
    """Disputes still waiting for an answer, with a deadline: the staff calendar's events."""
    return list(
        session.scalars(
            select(Dispute)
            .where(Dispute.status.in_([s.value for s in ANSWERABLE]), Dispute.evidence_due_at.is_not(None))
            .order_by(Dispute.evidence_due_at, Dispute.id)
        )
    )


@dataclass(frozen=True, slots=True)
class WinRate:
    """Disputes that ended won or lost, for one reason or gateway."""

    key: str
    won: int
    lost: int

    @property
    def rate(self) -> float | None:
        decided = self.won + self.lost
        return round(self.won / decided, 3) if decided else None


def win_rates(session: Session) -> dict[str, list[WinRate]]:
    """Won and lost disputes by the one reason and by gateway (accepted ones count as lost)."""
    rows = session.execute(
        select(Dispute.reason, Dispute.gateway, Dispute.status, func.count())
        .where(Dispute.status.in_([DisputeStatus.won, DisputeStatus.lost, DisputeStatus.accepted]))
        .group_by(Dispute.reason, Dispute.gateway, Dispute.status)
    ).all()
    tally: dict[str, dict[str, list[int]]] = {"reason": {}, "gateway": {}}
    for reason, gateway, status, n in rows:
        won = status == DisputeStatus.won
        for part, key in (("reason", str(normalized_reason(reason))), ("gateway", str(gateway))):
            counts = tally[part].setdefault(key, [0, 0])
            counts[0 if won else 1] += int(n)
    return {
        part: sorted((WinRate(k, w, lo) for k, (w, lo) in keys.items()), key=lambda r: -(r.won + r.lost))
        for part, keys in tally.items()
    }


def win_rates_by_evidence(session: Session) -> list[WinRate]:
    """Of the disputes answered with evidence that have ended, how many each evidence item helped win.

    A dispute counts once for every item it sent; the items most often in won disputes come first.
    """
    rows = session.execute(
        select(Dispute.status, Dispute.evidence_used).where(
            Dispute.status.in_([DisputeStatus.won, DisputeStatus.lost, DisputeStatus.accepted]),
            Dispute.evidence_submitted_at.is_not(None),
        )
    ).all()
    tally: dict[str, list[int]] = {}
    for status, used in rows:
        for item in used or []:
            counts = tally.setdefault(str(item), [0, 0])
            counts[0 if status == DisputeStatus.won else 1] += 1
    return sorted(
        (WinRate(k, w, lo) for k, (w, lo) in tally.items()), key=lambda r: (-(r.rate or 0), -r.won, r.key)
    )


def escalation_thresholds(session: Session, shop_ids: set[int | None]) -> dict[int | None, int]:
    """Each shop's amount from which mediation or arbitration is suggested (the default without a shop)."""
    ids = {i for i in shop_ids if i is not None}
    found = dict(session.execute(select(Shop.id, Shop.settings).where(Shop.id.in_(ids))).all()) if ids else {}
    return {i: escalation_threshold(found.get(i)) for i in shop_ids}
