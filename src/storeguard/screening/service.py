"""Reads: a shop's screening settings, stored decisions and the review queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc
from storeguard.core.errors import NotFound
from storeguard.core.pages import KeysetPage, fetch_keyset
from storeguard.disputes.models import Dispute
from storeguard.lists.enums import BlockStatus
from storeguard.lists.models import CustomerBlock
from storeguard.orders.enums import OrderStatus
from storeguard.orders.errors import OrderError
from storeguard.orders.models import Order, Refund
from storeguard.screening.enums import Outcome
from storeguard.screening.models import Decision, ReviewNote
from storeguard.screening.policy import merged_settings
from storeguard.screening.reads import shop_context
from storeguard.shops.models import Shop


def screening_settings(session: Session, shop_id: int) -> tuple[dict[str, Any], int]:
    """Return the shop's screening settings (defaults laid under its own) and their revision.

    Read through the shop's screening context, so there is one parse and one cache of them.
    """
    context = shop_context(session, shop_id)
    if context is None:
        return merged_settings(None), 0
    return context.screening, context.revision


def latest_decision(session: Session, order_id: int) -> Decision | None:
    """Return the order's most recent decision."""
    return session.scalar(
        select(Decision).where(Decision.order_id == order_id).order_by(Decision.id.desc()).limit(1)
    )


def decisions_of(session: Session, order_id: int) -> list[Decision]:
    """Return every decision stored for an order, oldest first."""
    return list(session.scalars(select(Decision).where(Decision.order_id == order_id).order_by(Decision.id)))


def get_held_order(session: Session, order_id: int) -> Order:
    """Return an order, or answer 404."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(OrderError.order_not_found, f"no order {order_id}")
    return order


def held_since(order: Order) -> datetime:
    """Return when the order was held (its creation, for one held before storeguard kept the time)."""
    return order.held_at or order.created_at


def review_queue(
    session: Session, *, shop_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Order], int]:
    """Return held open orders, the longest held first, and how many there are."""
    conds = [Order.held.is_(True), Order.status == "open"]
    if shop_id is not None:
        conds.append(Order.shop_id == shop_id)
    total = int(session.scalar(select(func.count(Order.id)).where(*conds)) or 0)
    # The same time held_since() answers, so the order and the age shown agree.
    since = func.coalesce(Order.held_at, Order.created_at)
    orders = list(
        session.scalars(select(Order).where(*conds).order_by(since, Order.id).limit(limit).offset(offset))
    )
    return orders, total


def latest_decisions(session: Session, order_ids: list[int]) -> dict[int, Decision]:
    """Return each order's most recent decision, in one statement."""
    if not order_ids:
        return {}
    last = (
        select(func.max(Decision.id))
        .where(Decision.order_id.in_(order_ids))
        .group_by(Decision.order_id)
        .scalar_subquery()
    )
    return {d.order_id: d for d in session.scalars(select(Decision).where(Decision.id.in_(last)))}


def notes_by_order(session: Session, order_ids: list[int]) -> dict[int, list[ReviewNote]]:
    """Return the orders' notes, oldest first, in one statement."""
    notes: dict[int, list[ReviewNote]] = {i: [] for i in order_ids}
    if order_ids:
        stmt = select(ReviewNote).where(ReviewNote.order_id.in_(order_ids)).order_by(ReviewNote.id)
        for note in session.scalars(stmt):
            notes[note.order_id].append(note)
    return notes


def notes_of(session: Session, order_id: int) -> list[ReviewNote]:
    """Return a held order's notes, oldest first."""
    return list(
        session.scalars(select(ReviewNote).where(ReviewNote.order_id == order_id).order_by(ReviewNote.id))
    )


def held_summary(session: Session) -> tuple[int, datetime | None]:
    """Return how many open orders are held for review and since when the oldest has waited."""
    since = func.coalesce(Order.held_at, Order.created_at)
    count, oldest = session.execute(
        select(func.count(Order.id), func.min(since)).where(Order.held.is_(True), Order.status == "open")
    ).one()
    return int(count or 0), ensure_utc(oldest) if oldest is not None else None


def decision_times(session: Session, since: datetime) -> list[tuple[datetime, str]]:
    """Return when each decision since ``since`` was made and what it was (for counts by day and outcome).

    Read per shop, so the (shop, created_at) index serves it on every backend.
    """
    stmt = select(Decision.created_at, Decision.decision).where(
        Decision.shop_id.in_(select(Shop.id)), Decision.created_at >= since
    )
    return [(ensure_utc(at), outcome) for at, outcome in session.execute(stmt)]


def decision_page(
    session: Session,
    *,
    outcome: Outcome | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    after: tuple[datetime, int] | None = None,
    before: tuple[datetime, int] | None = None,
) -> KeysetPage[Decision]:
    """Return stored decisions, newest first, of one outcome and time span, a page by key."""
    stmt = select(Decision).where(Decision.order_id.is_not(None))
    if outcome is not None:
        stmt = stmt.where(Decision.decision == outcome)
    if since is not None:
        stmt = stmt.where(Decision.created_at >= since)
    if until is not None:
        stmt = stmt.where(Decision.created_at < until)
    return fetch_keyset(
        session, stmt, (Decision.created_at, Decision.id), limit=limit, after=after, before=before
    )


def order_numbers(session: Session, order_ids: list[int]) -> dict[int, str]:
    """Return the numbers of some orders, by id, in one statement."""
    if not order_ids:
        return {}
    rows = session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids)))
    return {order_id: number for order_id, number in rows}


# ---- the review queue, one order at a time -------------------------------------------------------

# The queue's order: the longest held first (held_since()), then by id. The partial index on held
# orders finds them, so counting the queue reads only the handful that wait, never the orders table.
_held_since = func.coalesce(Order.held_at, Order.created_at)
_WAITING = (Order.held.is_(True), Order.status == OrderStatus.open)


@dataclass(frozen=True, slots=True)
class QueueSpot:
    """Where an order stands in the review queue, and its neighbours there."""

    position: int | None  # 1 for the longest held; None when the order no longer waits
    waiting: int
    previous_id: int | None
    next_id: int | None


def oldest_held(session: Session) -> Order | None:
    """Return the open held order that has waited longest, or None when nothing waits."""
    return session.scalar(select(Order).where(*_WAITING).order_by(_held_since, Order.id).limit(1))


def queue_spot(session: Session, order: Order) -> QueueSpot:
    """Return the order's place in the queue and the waiting orders just before and after it."""
    since = held_since(order)
    earlier = or_(_held_since < since, and_(_held_since == since, Order.id < order.id))
    later = or_(_held_since > since, and_(_held_since == since, Order.id > order.id))
    waiting, ahead = session.execute(
        select(func.count(Order.id), func.count(Order.id).filter(earlier)).where(*_WAITING)
    ).one()
    previous_id = session.scalar(
        select(Order.id).where(*_WAITING, earlier).order_by(_held_since.desc(), Order.id.desc()).limit(1)
    )
    next_id = session.scalar(
        select(Order.id).where(*_WAITING, later).order_by(_held_since, Order.id).limit(1)
    )
    waits = order.held and order.status == OrderStatus.open
    return QueueSpot(
        position=int(ahead) + 1 if waits else None,
        waiting=int(waiting),
        previous_id=previous_id,
        next_id=next_id,
    )


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """What a customer did before: orders, cancellations, refunds, disputes and blocks."""

    orders: int = 0
    cancelled: int = 0
    refunds: int = 0
    disputes: int = 0
    blocks: int = 0
    active_blocks: int = 0


def customer_histories(session: Session, customer_ids: Iterable[int]) -> dict[int, CustomerHistory]:
    """Return each customer's history in a few grouped statements (every id answered, zeros included)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    orders = {
        cid: (int(n), int(c))
        for cid, n, c in session.execute(
            select(
                Order.customer_id,
                func.count(Order.id),
                func.count(Order.id).filter(Order.status == OrderStatus.cancelled),
            )
            .where(Order.customer_id.in_(ids))
            .group_by(Order.customer_id)
        )
    }
    refunds = dict(
        session.execute(
            select(Order.customer_id, func.count(Refund.id))
            .join(Refund, Refund.order_id == Order.id)
            .where(Order.customer_id.in_(ids))
            .group_by(Order.customer_id)
        ).all()
    )
    disputes = dict(
        session.execute(
            select(Dispute.customer_id, func.count(Dispute.id))
            .where(Dispute.customer_id.in_(ids))
            .group_by(Dispute.customer_id)
        ).all()
    )
    blocks = {
        cid: (int(n), int(a))
        for cid, n, a in session.execute(
            select(
                CustomerBlock.customer_id,
                func.count(CustomerBlock.id),
                func.count(CustomerBlock.id).filter(CustomerBlock.status == BlockStatus.active),
            )
            .where(CustomerBlock.customer_id.in_(ids))
            .group_by(CustomerBlock.customer_id)
        )
    }
    return {
        cid: CustomerHistory(
            orders=orders.get(cid, (0, 0))[0],
            cancelled=orders.get(cid, (0, 0))[1],
            refunds=int(refunds.get(cid, 0)),
            disputes=int(disputes.get(cid, 0)),
            blocks=blocks.get(cid, (0, 0))[0],
            active_blocks=blocks.get(cid, (0, 0))[1],
        )
        for cid in ids
    }


def earlier_orders(session: Session, order: Order, limit: int = 5) -> list[Order]:
    """Return the customer's most recent orders other than this one, newest first."""
    if order.customer_id is None:
        return []
    return list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == order.customer_id, Order.id != order.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
