"""Reads: every customer's behaviour in a shop, built from a few grouped statements, and its assessment.

One statement per kind of fact (orders, deliveries, refunds with their lines, bracketed lines,
wearables, fees, disputes, links to blocked customers), each over the whole shop, never a query
per customer: 200,000 orders read in seconds on SQLite.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, Text, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc, now
from storeguard.core.errors import NotFound
from storeguard.customers.disposable import is_disposable
from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import keys_clause
from storeguard.customers.models import Customer, Identifier
from storeguard.disputes.models import Dispute
from storeguard.lists.enums import BlockStatus, EntryAction, EntryKind, EntryStatus, ScopeKind
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import Fulfillment, LineItem, Order, Refund, RefundLine, Transaction
from storeguard.risk.enums import Segment
from storeguard.risk.errors import RiskError
from storeguard.risk.ledger import ledgers_by
from storeguard.risk.models import CustomerRisk
from storeguard.risk.policy import (
    DEFAULT,
    PRIVILEGES,
    Assessment,
    Behaviour,
    BlockLink,
    DisputeFacts,
    OrderFacts,
    RefundFacts,
    assess,
    segment_now,
    shop_return_rate,
)
from storeguard.shops.models import Product, Shop

# An order's tags as text: most orders have none, and decoding "[]" 200,000 times cost seconds.
_TAGS_TEXT = cast(Order.tags, Text)
# Disputes that are only an inquiry so far are not chargebacks.
_NOT_CHARGEBACKS = ("warning_needs_response", "warning_under_review", "warning_closed")
# An identifier a household shares: a link through it alone is weak evidence.
WEAK_LINK_TYPES = (IdentifierType.shipping_address.value,)


def _order_units(read: Any, scope: list[Any]) -> dict[int, int]:
    """Units ordered, per order: serial returning asks whether most of an order came back."""
    rows = read(
        select(LineItem.order_id, func.sum(LineItem.quantity))
        .join(Order, Order.id == LineItem.order_id)
        .where(*scope)
        .group_by(LineItem.order_id)
    )
    return {order_id: int(n or 0) for order_id, n in rows}


def _product_sets(session: Session, shop_id: int, t: Mapping[str, Any]) -> tuple[set[int], set[int]]:
    """Return the ids of the shop's wearable products and of its occasion products."""
    wearable_categories = set(t["wardrobing"]["wearable_categories"])
    occasion_tags = set(t["wardrobing"]["occasion_tags"])
    wearable, occasion = set(), set()
    for pid, category, tags in session.execute(
        select(Product.id, Product.category, Product.tags).where(Product.shop_id == shop_id)
    ):
        if category in wearable_categories:
            wearable.add(pid)
        if occasion_tags & set(tags or ()):
            occasion.add(pid)
    return wearable, occasion


def _order_scope(shop_id: int, customer_ids: Iterable[int] | None) -> list[Any]:
    """The orders read: the shop's, or only these customers' (who are the shop's already).

    With customers named, the shop is left out on purpose: SQLite would otherwise walk the shop's
    covering index over every order instead of the index on the customer.
    """
    if customer_ids is not None:
        return [Order.customer_id.in_(list(customer_ids))]
    return [Order.shop_id == shop_id, Order.customer_id.is_not(None)]


def read_behaviours(
    session: Session,
    shop_id: int,
    *,
    customer_ids: Iterable[int] | None = None,
    thresholds: Mapping[str, Any] = DEFAULT,
) -> dict[int, Behaviour]:
    """Build the behaviour of every customer of the shop (or of the ones given) in a few grouped reads."""
    wanted = list(customer_ids) if customer_ids is not None else None
    session.flush()  # what session.execute's autoflush did: the reads below see pending changes
    read = session.connection().execute  # rows as the driver gives them: no ORM loading per row
    scope = _order_scope(shop_id, wanted)
    wearable, occasion = _product_sets(session, shop_id, thresholds)

    delivered = dict(
        read(
            select(Fulfillment.order_id, func.min(Fulfillment.delivered_at))
            .join(Order, Order.id == Fulfillment.order_id)
            .where(*scope, Fulfillment.delivered_at.is_not(None))
            .group_by(Fulfillment.order_id)
        ).all()
    )
    # Per order: wearable and occasion units; per (order, product) with several lines: bracketing.
    kinds: dict[int, tuple[bool, bool]] = {}
    line_rows = read(
        select(LineItem.order_id, LineItem.product_id)
        .join(Order, Order.id == LineItem.order_id)
        .where(*scope, LineItem.product_id.in_(wearable | occasion))
        .group_by(LineItem.order_id, LineItem.product_id)
    )
    for order_id, product_id in line_rows:
        was = kinds.get(order_id, (False, False))
        kinds[order_id] = (was[0] or product_id in wearable, was[1] or product_id in occasion)
    brackets: dict[int, tuple[int, int]] = {}
    bracket_rows = read(
        select(
            LineItem.order_id,
            func.sum(LineItem.quantity),
            func.sum(LineItem.refunded_quantity),
        )
        .join(Order, Order.id == LineItem.order_id)
        .where(*scope, LineItem.product_id.is_not(None))
        .group_by(LineItem.order_id, LineItem.product_id)
        .having(func.count(LineItem.id) >= 2)
    )
    for order_id, units, back in bracket_rows:
        was = brackets.get(order_id, (0, 0))
        brackets[order_id] = (was[0] + int(units or 0), was[1] + int(back or 0))
    units = _order_units(read, scope)
    fees = dict(
        read(
            select(Transaction.order_id, func.sum(Transaction.fee))
            .join(Order, Order.id == Transaction.order_id)
            .where(*scope, Transaction.fee > 0)
            .group_by(Transaction.order_id)
        ).all()
    )

    behaviours: dict[int, Behaviour] = {}
    if wanted is not None:
        behaviours = {cid: Behaviour(customer_id=cid) for cid in wanted}
    order_rows = read(
        select(Order.id, Order.customer_id, Order.total, Order.created_at, Order.status, _TAGS_TEXT)
        .where(*scope)
        .order_by(Order.id)
    )
    totals = []
    owner: dict[int, int] = {}
    for oid, cid, total, created_at, status, tags in order_rows:
        kind = kinds.get(oid, (False, False))
        bracket = brackets.get(oid, (0, 0))
        at = delivered.get(oid)
        b = behaviours.setdefault(cid, Behaviour(customer_id=cid))
        b.orders.append(
            OrderFacts(
                id=oid,
                total=int(total),
                created_at=ensure_utc(created_at),
                cancelled=status == OrderStatus.cancelled,
                delivered_at=ensure_utc(at) if at is not None else None,
                tags=tuple(json.loads(tags)) if tags and tags != "[]" else (),
                wearable=kind[0],
                occasion=kind[1],
                bracket_units=bracket[0],
                bracket_returned=bracket[1],
                fee=int(fees.get(oid) or 0),
                units=units.get(oid, 0),
            )
        )
        owner[oid] = cid
        totals.append(int(total))

    refund_rows = read(
        select(
            Refund.id,
            Refund.order_id,
            Refund.amount,
            Refund.shipping_amount,
            Refund.reason,
            Refund.created_at,
            func.coalesce(func.sum(RefundLine.quantity), 0),
            func.coalesce(func.sum(case((RefundLine.restock, RefundLine.quantity), else_=0)), 0),
            func.coalesce(func.sum(case((RefundLine.restock, 0), else_=RefundLine.amount)), 0),
        )
        .join(Order, Order.id == Refund.order_id)
        .outerjoin(RefundLine, RefundLine.refund_id == Refund.id)
        .where(*scope)
        .group_by(Refund.id)
        .order_by(Refund.id)
    )
    for rid, oid, amount, shipping, reason, created_at, units, restocked, unsellable in refund_rows:
        behaviours[owner[oid]].refunds.append(
            RefundFacts(
                id=rid,
                order_id=oid,
                amount=int(amount),
                created_at=ensure_utc(created_at),
                reason=reason,
                shipping_amount=int(shipping or 0),
                units=int(units),
                restocked_units=int(restocked),
                unsellable_amount=int(unsellable),
            )
        )

    disputed = set()
    dispute_rows = read(
        select(Dispute.id, Dispute.order_id, Dispute.amount, Dispute.reason, Dispute.status)
        .join(Order, Order.id == Dispute.order_id)
        .where(*scope, Dispute.status.not_in(_NOT_CHARGEBACKS))
        .order_by(Dispute.id)
    )
    for did, oid, amount, reason, status in dispute_rows:
        behaviours[owner[oid]].disputes.append(
            DisputeFacts(order_id=oid, amount=int(amount), id=did, reason=reason, lost=status != "won")
        )
        disputed.add(oid)
    # A chargeback the platform only tagged on the order (no dispute mirrored yet) counts too.
    chargeback_tags = set(thresholds["claim_tags"]["chargeback"])
    for b in behaviours.values():
        for o in b.orders:
            if o.id not in disputed and chargeback_tags & set(o.tags):
                b.disputes.append(DisputeFacts(order_id=o.id, amount=o.total))

    shop = session.get(Shop, shop_id)
    if shop is not None:  # the customer's cost, as the ledger counts it (a few grouped reads)
        for cid, one in ledgers_by(session, shop, Order.customer_id, *scope).items():
            if cid in behaviours:
                behaviours[cid].true_loss += one.true_loss

    for link_cid, link in _block_links(session, shop_id, wanted):
        if link_cid in behaviours:
            behaviours[link_cid].links.append(link)
    # Only a customer linked to a blocked one is asked whether their email is a throw-away one.
    linked = [cid for cid, b in behaviours.items() if b.links]
    for i in range(0, len(linked), 500):
        for cid, email in read(
            select(Customer.id, Customer.email).where(Customer.id.in_(linked[i : i + 500]))
        ):
            domain = (email or "").rpartition("@")[2]
            behaviours[cid].disposable_email = bool(domain) and is_disposable(domain)

    at = now()
    if wanted is None:  # the whole shop is read: its figures come with it
        median = int(statistics.median(totals)) if totals else 0
        rate = shop_return_rate(behaviours.values(), thresholds)
        if thresholds is DEFAULT:  # customers reassessed alone next are measured against the same
            _baselines[shop_id] = (now(), median, rate)
    else:
        median, rate = shop_baseline(session, shop_id, thresholds, at)
    for b in behaviours.values():
        b.shop_median_total = median
        b.shop_return_rate = rate
        b.as_of = at
    return behaviours


# A shop's median order and return rate move slowly: one customer's page reads them from here
# (per process, for BASELINE_TTL) instead of reading every order of the shop each time.
BASELINE_TTL = timedelta(minutes=10)
_baselines: dict[int, tuple[datetime, int, float]] = {}


def shop_baseline(session: Session, shop_id: int, t: Mapping[str, Any], at: datetime) -> tuple[int, float]:
    """The shop's median order total and return rate, as read at most BASELINE_TTL ago.

    The same figures a read of the whole shop gives, so a customer reassessed alone is assessed as
    a full recompute would. Only the default thresholds are remembered; others read afresh.
    """
    cached = _baselines.get(shop_id) if t is DEFAULT else None
    if cached is not None and timedelta(0) <= at - cached[0] < BASELINE_TTL:
        return cached[1], cached[2]
    median, rate = shop_figures(session, shop_id, t)
    if t is DEFAULT:
        _baselines[shop_id] = (at, median, rate)
    return median, rate


def shop_figures(session: Session, shop_id: int, t: Mapping[str, Any] = DEFAULT) -> tuple[int, float]:
    """Read the shop's median order total and return rate over its customers' orders.

    Only what the two figures need (units per order, no fees or disputes), computed by the same functions as
    the full read: the shop's orders as one record.
    """
    scope = _order_scope(shop_id, None)
    delivered = set(
        session.scalars(
            select(Fulfillment.order_id)
            .join(Order, Order.id == Fulfillment.order_id)
            .where(*scope, Fulfillment.delivered_at.is_not(None))
            .distinct()
        )
    )
    shop = Behaviour(customer_id=0)
    totals = []
    epoch = datetime.min.replace(tzinfo=UTC)
    units = _order_units(session.connection().execute, scope)
    for oid, total, status in session.execute(select(Order.id, Order.total, Order.status).where(*scope)):
        totals.append(int(total))
        shop.orders.append(
            OrderFacts(
                id=oid,
                total=int(total),
                created_at=epoch,
                cancelled=status == OrderStatus.cancelled,
                delivered_at=epoch if oid in delivered else None,
                units=units.get(oid, 0),
            )
        )
    refund_rows = session.execute(
        select(
            Refund.id,
            Refund.order_id,
            Refund.amount,
            Refund.shipping_amount,
            Refund.reason,
            func.coalesce(func.sum(RefundLine.quantity), 0),
            func.coalesce(func.sum(case((RefundLine.restock, RefundLine.quantity), else_=0)), 0),
        )
        .join(Order, Order.id == Refund.order_id)
        .outerjoin(RefundLine, RefundLine.refund_id == Refund.id)
        .where(*scope)
        .group_by(Refund.id)
    )
    for rid, oid, amount, shipping, reason, back, restocked in refund_rows:
        shop.refunds.append(
            RefundFacts(
                id=rid,
                order_id=oid,
                amount=int(amount),
                created_at=epoch,
                reason=reason,
                shipping_amount=int(shipping or 0),
                units=int(back),
                restocked_units=int(restocked),
            )
        )
    median = int(statistics.median(totals)) if totals else 0
    return median, shop_return_rate([shop], t)


def _block_links(session: Session, shop_id: int, wanted: list[int] | None) -> list[tuple[int, BlockLink]]:
    """Return (customer, link) for every customer linked to a customer blocked from everything."""
    blocks = session.execute(
        select(CustomerBlock.id, CustomerBlock.customer_id, CustomerBlock.scope, Customer.cluster_id)
        .join(Customer, Customer.id == CustomerBlock.customer_id)
        .where(CustomerBlock.shop_id == shop_id, CustomerBlock.status == BlockStatus.active)
        .order_by(CustomerBlock.id)
    ).all()
    blocks = [b for b in blocks if (b.scope or {}).get("kind", ScopeKind.everything) == ScopeKind.everything]
    if not blocks:
        return []
    blocked_ids = {b.customer_id for b in blocks}
    links: list[tuple[int, BlockLink]] = []
    by_cluster: dict[int, list[Any]] = {}
    for b in blocks:
        if b.cluster_id is not None:
            by_cluster.setdefault(b.cluster_id, []).append(b)
    where = [Customer.shop_id == shop_id, Customer.cluster_id.in_(list(by_cluster))]
    if wanted is not None:
        where.append(Customer.id.in_(wanted))
    for cid, cluster in session.execute(select(Customer.id, Customer.cluster_id).where(*where)):
        for b in by_cluster[cluster]:
            if cid != b.customer_id and cid not in blocked_ids:
                links.append((cid, BlockLink(b.customer_id, b.id, "cluster")))
    # Weak links: the same delivery address as a blocked customer, outside the shop's link types.
    if wanted is not None:
        # One customer's page: start from their few keys, found through the (shop, type, value) index.
        keys = session.execute(
            select(Identifier.customer_id, Identifier.type, Identifier.value).where(
                Identifier.shop_id == shop_id,
                Identifier.customer_id.in_(wanted),
                Identifier.type.in_(WEAK_LINK_TYPES),
            )
        ).all()
        owners: dict[tuple[str, str], list[int]] = {}
        for cid, kind, value in keys:
            owners.setdefault((str(kind), value), []).append(cid)
        stmt = select(Identifier.customer_id, Identifier.type, Identifier.value).where(
            Identifier.shop_id == shop_id,
            keys_clause(Identifier.type, Identifier.value, owners),
            Identifier.customer_id.in_(blocked_ids),
        )
        rows = [
            (cid, blocked, kind)
            for blocked, kind, value in (session.execute(stmt) if owners else [])
            for cid in owners[(str(kind), value)]
            if cid != blocked
        ]
    else:
        theirs = (
            select(Identifier.type, Identifier.value, Identifier.customer_id)
            .where(
                Identifier.shop_id == shop_id,
                Identifier.customer_id.in_(blocked_ids),
                Identifier.type.in_(WEAK_LINK_TYPES),
            )
            .subquery()
        )
        mine = Identifier
        stmt = (
            select(mine.customer_id, theirs.c.customer_id, theirs.c.type)
            .join(theirs, and_(mine.type == theirs.c.type, mine.value == theirs.c.value))
            .where(mine.shop_id == shop_id, mine.customer_id != theirs.c.customer_id)
        )
        rows = list(session.execute(stmt))
    block_of = {b.customer_id: b.id for b in blocks}
    for cid, blocked, kind in rows:
        if cid not in blocked_ids:
            links.append((cid, BlockLink(blocked, block_of[blocked], kind)))
    return links


def assess_shop(
    session: Session, shop_id: int, thresholds: Mapping[str, Any] = DEFAULT
) -> dict[int, Assessment]:
    """Assess every customer of the shop who has placed an order."""
    return {
        cid: assess(b, thresholds)
        for cid, b in read_behaviours(session, shop_id, thresholds=thresholds).items()
    }


def assess_customer(
    session: Session, customer_id: int, thresholds: Mapping[str, Any] = DEFAULT
) -> Assessment:
    """Assess one customer; NotFound when there is no such customer."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(RiskError.customer_not_found, f"no customer {customer_id}", field="customer_id")
    behaviours = read_behaviours(session, customer.shop_id, customer_ids=[customer_id], thresholds=thresholds)
    return assess(behaviours[customer_id], thresholds)


def order_numbers(session: Session, order_ids: Iterable[int]) -> dict[int, str]:
    """The shop's numbers of the given orders (what the merchant knows them by), by order id."""
    wanted = set(order_ids)
    if not wanted:
        return {}
    return dict(session.execute(select(Order.id, Order.number).where(Order.id.in_(wanted))).all())


def stored_risk(session: Session, customer_id: int) -> CustomerRisk | None:
    """The customer's assessment as last stored (None before the first recompute)."""
    return session.get(CustomerRisk, customer_id)


# (session, customer id) -> the segment of a customer risk has not assessed yet. Screening
# registers its placement (``screening.segments``): screening depends on risk, not the reverse.
UnassessedSegment = Callable[[Session, int], str]
_unassessed: list[UnassessedSegment] = []


def place_unassessed_with(reader: UnassessedSegment) -> None:
    """Let screening say which segment a customer not assessed yet is in (``segment_now``'s fallback)."""
    _unassessed[:] = [reader]


def block_entry_on(customer_id: Any, shop_id: Any = None) -> ColumnElement[bool]:
    """A block entry on the customer holds for every order, as the checkout matches it (an entry
    scoped to some products blocks only those orders). Values, or the list's columns."""
    if shop_id is None:
        shop_id = select(Customer.shop_id).where(Customer.id == customer_id).scalar_subquery()
    return (
        select(ListEntry.id)
        .where(
            ListEntry.shop_id == shop_id,
            ListEntry.type == "customer",
            ListEntry.value == cast(customer_id, String),
            ListEntry.kind == EntryKind.block,
            ListEntry.action == EntryAction.block,
            ListEntry.status == EntryStatus.active,
            or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now()),
            func.coalesce(ListEntry.scope["kind"].as_string(), ScopeKind.everything.value)
            == ScopeKind.everything.value,
        )
        .exists()
    )


def blocked_from_everything(session: Session, customer_id: int) -> bool:
    """Whether a block entry on the customer holds for every order."""
    return bool(session.scalar(select(block_entry_on(customer_id))))


def segment_of(session: Session, customer_id: int | None) -> str:
    """The segment the customer is in now, as their page, screening and the returns desk see it
    (``policy.segment_now``); a guest is neutral."""
    if customer_id is None:
        return Segment.neutral.value
    stored = stored_risk(session, customer_id)
    blocked = blocked_from_everything(session, customer_id)
    fallback = Segment.neutral.value
    if stored is None and not blocked and _unassessed:
        fallback = _unassessed[0](session, customer_id)
    return segment_now(stored.segment if stored else None, blocked=blocked, fallback=fallback)


# The customers list's filters (registered in ``risk.views``) ---------------------------------------

_STORED_SEGMENT = (
    select(CustomerRisk.segment)
    .where(CustomerRisk.customer_id == Customer.id)
    .correlate(Customer)
    .scalar_subquery()
)


def _listed_segment() -> ColumnElement[str]:
    """The segment as the list reads it: ``segment_now`` over the stored rows, a customer not
    assessed yet counting as neutral (their fallback is a per-customer read of their history)."""
    return case(
        (block_entry_on(Customer.id, Customer.shop_id), Segment.blocked.value),
        else_=func.coalesce(_STORED_SEGMENT, Segment.neutral.value),
    )


def customers_in_segment(segment: str) -> ColumnElement[bool]:
    """The customers the list shows in ``segment``."""
    return _listed_segment() == segment


def customers_with_finding(finding: str) -> ColumnElement[bool]:
    """The customers whose stored assessment has a finding of this type."""
    # finding_types is sorted and comma-separated: match the whole name between commas.
    words = "," + CustomerRisk.finding_types + ","
    escaped = finding.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    return Customer.id.in_(select(CustomerRisk.customer_id).where(words.like(f"%,{escaped},%", escape="\\")))


def segment_counts(session: Session, shop_id: int | None) -> dict[str, int]:
    """How many customers the list shows in each segment (of a shop, or of all)."""
    segment = _listed_segment()
    stmt = select(segment, func.count()).select_from(Customer).group_by(segment)
    if shop_id is not None:
        stmt = stmt.where(Customer.shop_id == shop_id)
    return {str(s): int(n) for s, n in session.execute(stmt)}


def finding_counts(session: Session, shop_id: int | None) -> dict[str, int]:
    """How many customers have each finding (few distinct sets of types: grouped by the set)."""
    stmt = select(CustomerRisk.finding_types, func.count()).group_by(CustomerRisk.finding_types)
    if shop_id is not None:
        stmt = stmt.where(CustomerRisk.shop_id == shop_id)
    counts: dict[str, int] = {}
    for types, n in session.execute(stmt):
        for t in filter(None, (types or "").split(",")):
            counts[t] = counts.get(t, 0) + int(n)
    return counts


def privileges_of(segment: str) -> dict[str, Any]:
    """What a customer in ``segment`` is allowed (priority, free returns, longer window, review)."""
    return dict(PRIVILEGES.get(segment, PRIVILEGES["neutral"]))


def export_rows(session: Session, shop_id: int) -> Iterator[dict[str, Any]]:
    """One plain record per assessed customer: platform id, segment, score, findings, links by strength."""
    customers = {
        c.id: c
        for c in session.scalars(select(Customer).where(Customer.shop_id == shop_id).order_by(Customer.id))
    }
    clusters: dict[int, list[int]] = {}
    for c in customers.values():
        if c.cluster_id is not None:
            clusters.setdefault(c.cluster_id, []).append(c.id)
    risks = {
        r.customer_id: r for r in session.scalars(select(CustomerRisk).where(CustomerRisk.shop_id == shop_id))
    }
    for cid, c in customers.items():
        risk = risks.get(cid)
        linked = [x for x in clusters.get(c.cluster_id, []) if x != cid] if c.cluster_id is not None else []
        yield {
            "customer_id": cid,
            "platform_id": c.platform_id,
            "email": c.email,
            "segment": risk.segment if risk else "neutral",
            "suggested_segment": risk.suggested if risk else None,
            "score": risk.score if risk else None,
            "findings": [{"type": f["type"], "confidence": f["confidence"]} for f in risk.findings]
            if risk
            else [],
            "linked": [{"customer_id": x, "strength": "strong"} for x in linked],
            "model_version": risk.model_version if risk else None,
        }
