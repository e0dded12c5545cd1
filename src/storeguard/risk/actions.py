"""The only code that changes stored risk: recompute assessments, and a person's segment decisions.

A suggestion never moves a customer by itself: a person accepts it (or dismisses it). Moving a
customer into "blocked" is a block, so it goes through the block dialog, never through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.errors import Conflict
from storeguard.customers.models import Customer
from storeguard.risk.enums import Segment
from storeguard.risk.errors import RiskError
from storeguard.risk.models import CustomerRisk, StaleRisk
from storeguard.risk.policy import MODEL_VERSION, Assessment, current_segment
from storeguard.risk.service import assess_customer, assess_shop

BATCH = 2000


def recompute_risk(
    session: Session, *, shop_id: int, progress: Callable[[int, int], None] | None = None
) -> int:
    """Assess every customer of the shop again and store it; a person's segment decisions stay.

    Stored with a statement per batch of rows, not an object per row, so a shop of 20,000
    customers is written in a second or two; the shop's marks of stale customers go with it.
    """
    marks = session.execute(
        select(StaleRisk.customer_id, StaleRisk.changes)
        .where(StaleRisk.shop_id == shop_id)
        .order_by(StaleRisk.customer_id)
    ).all()
    assessments = list(assess_shop(session, shop_id).values())
    for start in range(0, len(assessments), BATCH):
        store_assessments(session, shop_id, assessments[start : start + BATCH])
        if progress is not None:
            progress(min(start + BATCH, len(assessments)), len(assessments))
    # Marks made since the read above stay: their writes may not be in what was assessed.
    table = StaleRisk.__table__
    for start in range(0, len(marks), BATCH):
        session.connection().execute(
            delete(table).where(
                table.c.customer_id == bindparam("b_id"), table.c.changes == bindparam("b_n")
            ),
            [{"b_id": cid, "b_n": n} for cid, n in marks[start : start + BATCH]],
        )
    session.flush()
    return len(assessments)


def store_assessments(session: Session, shop_id: int, assessments: Sequence[Assessment]) -> None:
    """Store these customers' assessments (rows made for the ones assessed for the first time)."""
    if not assessments:
        return
    table = CustomerRisk.__table__
    c = table.c
    stored = {
        cid: (segment, decided_at is not None)
        for cid, segment, decided_at in session.execute(
            select(c.customer_id, c.segment, c.decided_at).where(
                c.customer_id.in_([a.customer_id for a in assessments])
            )
        )
    }
    at = now()
    updates, inserts = [], []
    for a in assessments:
        row = _row(a, at)
        if a.customer_id in stored:
            segment, decided = stored[a.customer_id]
            row["segment"] = current_segment(segment, decided, row["suggested"])
            updates.append({"b_customer_id": a.customer_id, **row})
        else:
            row["segment"] = current_segment(Segment.neutral.value, False, row["suggested"])
            inserts.append({"customer_id": a.customer_id, "shop_id": shop_id, **row})
    conn = session.connection()
    if updates:
        conn.execute(
            table.update()
            .where(c.customer_id == bindparam("b_customer_id"))
            .values({name: bindparam(name) for name in _STORED}),
            updates,
        )
    if inserts:
        conn.execute(table.insert(), inserts)
    # Objects of these rows already in the session would show what they held before.
    for a in assessments:
        row = session.identity_map.get(session.identity_key(CustomerRisk, a.customer_id))
        if row is not None:
            session.expire(row)


_STORED = (
    "score",
    "suggested",
    "segment",
    "findings",
    "finding_types",
    "contributions",
    "model_version",
    "computed_at",
)


def _row(a: Assessment, at: Any) -> dict[str, Any]:
    return {
        "score": a.score,
        "suggested": str(a.segment),
        "model_version": MODEL_VERSION,
        "computed_at": at,
        "findings": _findings(a),
        "finding_types": ",".join(sorted({str(f.type) for f in a.findings})),
        "contributions": [
            {"type": str(c.type), "points": c.points, "words": c.words} for c in a.contributions
        ],
    }


def _findings(a: Assessment) -> list[dict[str, Any]]:
    return [
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


def assess_and_store(session: Session, customer_id: int) -> CustomerRisk:
    """Assess one customer now and store it (their segment, as a person set it, stays)."""
    assessment = assess_customer(session, customer_id)
    row = session.scalar(
        select(CustomerRisk).where(CustomerRisk.customer_id == customer_id).with_for_update(key_share=True)
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
    stored = _row(a, at)
    row.score, row.suggested, row.model_version, row.computed_at = (
        stored["score"],
        stored["suggested"],
        stored["model_version"],
        at,
    )
    row.segment = current_segment(row.segment, row.decided_at is not None, row.suggested)
    row.findings, row.contributions = stored["findings"], stored["contributions"]
    row.finding_types = stored["finding_types"]


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
