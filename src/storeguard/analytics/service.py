"""Reads behind the analytics: each report's figures for one shop over one period.

"Flagged" customers are those the shop has blocked (an active block of any action) or put in the
restricted or blocked segment; everyone else who ordered in the period is the comparison. Every
report is a handful of grouped queries: the database counts, Python only names and ranks.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from storeguard.analytics.enums import AnalyticsError
from storeguard.analytics.policy import (
    AGE_BANDS,
    BLOCK_AFTER_BANDS,
    MAX_PERIOD_DAYS,
    TRAITS,
    ReturnRate,
    TraitRow,
    band,
    band_label,
    default_period,
    median,
    period_problem,
    rank_traits,
    score_band,
    share,
    trait_rows,
    value_bounds,
    win_rate,
)
from storeguard.core.clock import now
from storeguard.core.errors import Invalid
from storeguard.core.money import exponent
from storeguard.customers.models import Customer
from storeguard.disputes.enums import DisputeStatus
from storeguard.disputes.models import Dispute
from storeguard.disputes.policy import normalized_reason
from storeguard.lists.enums import BlockStatus
from storeguard.lists.models import CustomerBlock
from storeguard.orders.enums import CancelReason, OrderStatus, TransactionKind
from storeguard.orders.models import LineItem, Order, Refund, RefundLine, Transaction
from storeguard.risk.enums import Segment
from storeguard.risk.ledger import CAPTURES, ENDED_LOST, Ledger, ledgers_by, reason_in
from storeguard.risk.models import CustomerRisk
from storeguard.screening.enums import Outcome
from storeguard.screening.models import Decision
from storeguard.screening.outcomes import bad_orders
from storeguard.shops.models import Product, Shop
from storeguard.shops.service import shop_or_only_shop


@dataclass(frozen=True)
class Period:
    """One shop over [since, until): every report reads the same window."""

    shop: Shop
    since: datetime
    until: datetime

    @property
    def shop_id(self) -> int:
        return self.shop.id

    def months(self) -> list[str]:
        """Every month the period touches, as "YYYY-MM", oldest first (empty months are shown too)."""
        out: list[str] = []
        year, month = self.since.year, self.since.month
        last = (self.until - timedelta(microseconds=1)).strftime("%Y-%m")
        while True:
            key = f"{year:04d}-{month:02d}"
            out.append(key)
            if key >= last:
                return out
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def resolve_period(session: Session, shop_id: int | None, since: date | None, until: date | None) -> Period:
    """The shop (the only one when not named) and the period from its first day to its last, both included."""
    shop = shop_or_only_shop(session, shop_id)
    first, last = default_period(now().date())
    since, until = since or (first if until is None else until - timedelta(days=364)), until or last
    problem = period_problem(since, until)
    if problem is AnalyticsError.period_reversed:
        raise Invalid(problem, "the period's first day comes after its last", field="since")
    if problem is AnalyticsError.period_too_long:
        raise Invalid(problem, f"a period may be at most {MAX_PERIOD_DAYS} days", field="since")
    start = datetime.combine(since, time.min, tzinfo=UTC)
    return Period(shop, start, datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """A timestamp's UTC month as "YYYY-MM", counted by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite keeps UTC text: "2026-12-05 12:00:00.000000"


def flagged_customers(shop_id: int) -> Select[Any]:
    """Ids of the shop's customers under an active block or in the restricted or blocked segment."""
    blocked = select(CustomerBlock.customer_id).where(
        CustomerBlock.shop_id == shop_id, CustomerBlock.status == BlockStatus.active
    )
    restricted = select(CustomerRisk.customer_id).where(
        CustomerRisk.shop_id == shop_id, CustomerRisk.segment.in_([Segment.restricted, Segment.blocked])
    )
    return select(union(blocked, restricted).subquery().c[0])


def _flag(column: Any, shop_id: int) -> ColumnElement[int]:
    return case((column.in_(flagged_customers(shop_id)), 1), else_=0)


def _in_period(period: Period) -> tuple[ColumnElement[bool], ...]:
    return (
        Order.shop_id == period.shop_id,
        Order.created_at >= period.since,
        Order.created_at < period.until,
        Order.customer_id.is_not(None),
    )


# ---------------------------------------------------------------- traits


@dataclass
class TraitsReport:
    group_total: int
    rest_total: int
    traits: list[TraitRow]
    reason_codes: list[tuple[str, int]]
    block_after_days: list[tuple[str, int]]
    median_days_to_block: float | None


def _band_case(column: Any, bounds: tuple[int, ...], scale: int = 1, *, reverse_from: Any = None) -> Any:
    """The band index of a column's value (or, with reverse_from, of how far before it a time lies)."""
    if reverse_from is not None:
        # Days before reverse_from: the youngest accounts (created after the nearest bound) first.
        whens = [(column > reverse_from - timedelta(days=b), i) for i, b in enumerate(bounds)]
    else:
        whens = [(column < b * scale, i) for i, b in enumerate(bounds)]
    return case(*whens, else_=len(bounds))


# Parts of the traits statement's answer besides the traits themselves.
TOTALS, FINDINGS, REASON_CODES = "*totals", "*findings", "*reason_codes"


@dataclass
class _TraitCounts:
    totals: tuple[int, int]  # flagged customers who ordered in the period, and the others
    traits: dict[str, dict[str, tuple[int, int]]]  # trait -> value -> (flagged, others)
    reason_codes: list[tuple[str, int]]


def _trait_counts(session: Session, period: Period, order_value: Any) -> _TraitCounts:
    """Every count behind the traits report in one statement, so the period's orders are read once
    (materialized), each customer's flag is decided once, not per order, and no statement scans the
    orders again to ask who ordered. A trait counts the distinct (customer, value) pairs; a customer
    whose orders differ (two countries) counts once under each value, as the shares always have."""
    sid = period.shop_id
    flagged = flagged_customers(sid).cte("flagged").prefix_with("MATERIALIZED")

    def flag(customer_id: Any) -> ColumnElement[int]:
        return case((customer_id.in_(select(flagged.c[0])), 1), else_=0)

    # What each customer's orders in the period were like, one row per distinct kind of order.
    orders = (
        select(
            Order.customer_id.label("customer_id"),
            Order.shipping_address["country_code"].as_string().label("country"),
            Order.source.label("channel"),
            order_value.label("order_value"),
        )
        .where(*_in_period(period))
        .distinct()
        .cte("period_orders")
        .prefix_with("MATERIALIZED")
    )
    linked_clusters = (
        select(Customer.cluster_id)
        .where(Customer.shop_id == sid, Customer.cluster_id.is_not(None))
        .group_by(Customer.cluster_id)
        .having(func.count() > 1)
    )
    # Who ordered in the period, each with their flag and what is theirs rather than their orders'.
    who = (
        select(
            Customer.id.label("customer_id"),
            flag(Customer.id).label("flagged"),
            _band_case(Customer.created_at, AGE_BANDS, reverse_from=period.until).label("account_age"),
            case((Customer.cluster_id.in_(linked_clusters), "yes"), else_="no").label("linked"),
        )
        .where(Customer.id.in_(select(orders.c.customer_id)))
        .cte("period_customers")
        .prefix_with("MATERIALIZED")
    )

    def part(name: str, rows: Any, *, distinct_customers: bool = False) -> Select[Any]:
        """Customers per value and flag, from rows of (customer_id, value, flagged)."""
        customers = func.count(distinct(rows.c.customer_id)) if distinct_customers else func.count()
        return select(
            literal(name, String).label("part"), cast(rows.c.value, String), rows.c.flagged, customers
        ).group_by(rows.c.value, rows.c.flagged)

    def of_orders(value: Any) -> Any:
        return select(orders.c.customer_id, value.label("value")).distinct().subquery()

    def flagged_rows(pairs: Any) -> Any:
        return select(
            pairs.c.customer_id, pairs.c.value, flag(pairs.c.customer_id).label("flagged")
        ).subquery()

    def of_customers(value: Any) -> Any:
        return select(who.c.customer_id, value.label("value"), who.c.flagged).subquery()

    paid = (
        select(Order.customer_id, Transaction.gateway.label("value"))
        .join(Transaction, Transaction.order_id == Order.id)
        .where(*_in_period(period), Transaction.kind.in_([*CAPTURES, TransactionKind.authorization]))
        .distinct()
        .subquery()
    )
    # Findings are a list per customer: customers are counted by the exact list, Python splits it.
    findings = (
        select(CustomerRisk.customer_id, cast(CustomerRisk.findings, String).label("value"), who.c.flagged)
        .join(who, who.c.customer_id == CustomerRisk.customer_id)
        .where(CustomerRisk.shop_id == sid, cast(CustomerRisk.findings, String) != "[]")
        .subquery()
    )
    blocks = (
        select(CustomerBlock.customer_id, CustomerBlock.reason_code.label("value"), who.c.flagged)
        .join(who, who.c.customer_id == CustomerBlock.customer_id)
        .where(CustomerBlock.shop_id == sid, CustomerBlock.status == BlockStatus.active)
        .subquery()
    )
    stmt = union_all(
        part(TOTALS, of_customers(literal("", String))),
        part("country", flagged_rows(of_orders(orders.c.country))),
        part("channel", flagged_rows(of_orders(orders.c.channel))),
        part("payment", flagged_rows(paid)),
        part("order_value", flagged_rows(of_orders(orders.c.order_value))),
        part("account_age", of_customers(who.c.account_age)),
        part("linked_accounts", of_customers(who.c.linked)),
        part(FINDINGS, findings),
        part(REASON_CODES, blocks, distinct_customers=True),
    )
    totals = [0, 0]
    traits: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    reason_codes: dict[str, int] = defaultdict(int)
    for name, value, is_flagged, n in session.execute(stmt):
        side = 0 if is_flagged else 1
        if name == TOTALS:
            totals[side] += int(n)
        elif name == REASON_CODES:
            reason_codes[str(value)] += int(n)
        elif name == FINDINGS:
            for kind in {f.get("type") for f in json.loads(value) or [] if f.get("type")}:
                traits["finding"][str(kind)][side] += int(n)
        else:
            traits[name][str(value) if value not in (None, "") else "unknown"][side] += int(n)
    return _TraitCounts(
        (totals[0], totals[1]),
        {name: {k: (g, r) for k, (g, r) in values.items()} for name, values in traits.items()},
        sorted(reason_codes.items(), key=lambda r: (-r[1], r[0])),
    )


def traits(session: Session, period: Period) -> TraitsReport:
    """What the flagged customers have in common, against everyone else who ordered in the period."""
    average = session.scalar(select(func.avg(Order.total)).where(*_in_period(period))) or 0
    scale = 10 ** exponent(period.shop.currency)
    bounds = value_bounds(float(average), scale)
    counts = _trait_counts(session, period, _band_case(Order.total, bounds, scale))
    group_total, rest_total = counts.totals
    found = counts.traits
    found["order_value"] = {band_label(int(k), bounds): v for k, v in found.get("order_value", {}).items()}
    found["account_age"] = {band_label(int(k), AGE_BANDS): v for k, v in found.get("account_age", {}).items()}
    found["linked_accounts"] = {"yes": found.get("linked_accounts", {}).get("yes", (0, 0))}  # "no" mirrors it
    rows = [
        row for trait in TRAITS for row in trait_rows(trait, found.get(trait, {}), group_total, rest_total)
    ]
    return TraitsReport(
        group_total, rest_total, rank_traits(rows), counts.reason_codes, *_time_to_block(session, period)
    )


def _time_to_block(session: Session, period: Period) -> tuple[list[tuple[str, int]], float | None]:
    """How long after their first order the blocked customers were blocked, in bands, and the median in days."""
    blocked = select(CustomerBlock.customer_id).where(
        CustomerBlock.shop_id == period.shop_id,
        CustomerBlock.created_at >= period.since,
        CustomerBlock.created_at < period.until,
    )
    # Only the blocked customers' orders (through the index on the customer), not every order's group.
    first = (
        select(Order.customer_id, func.min(Order.created_at).label("first"))
        .where(Order.customer_id.in_(blocked))
        .group_by(Order.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(func.min(CustomerBlock.created_at), first.c.first)
        .join(first, first.c.customer_id == CustomerBlock.customer_id)
        .where(
            CustomerBlock.shop_id == period.shop_id,
            CustomerBlock.created_at >= period.since,
            CustomerBlock.created_at < period.until,
        )
        .group_by(CustomerBlock.customer_id, first.c.first)
    ).all()
    days = [max((blocked - first_order).total_seconds() / 86400, 0.0) for blocked, first_order in rows]
    counts = [0] * (len(BLOCK_AFTER_BANDS) + 1)
    for d in days:
        counts[band(d, BLOCK_AFTER_BANDS)] += 1
    bands = [(band_label(i, BLOCK_AFTER_BANDS), n) for i, n in enumerate(counts)]
    found = median(days)
    return bands, round(found, 1) if found is not None else None


# ---------------------------------------------------------------- returns by product


@dataclass
class ReturnsReport:
    products: list[ReturnRate]
    categories: list[ReturnRate]
    overall: ReturnRate


def _goods_came_back() -> ColumnElement[bool]:
    """A refunded line whose goods were returned, read as risk reads a refund: not a cancellation, a
    claim of non-delivery or a refund without return (by its reason), and sent back or restocked."""
    return and_(
        ~reason_in("cancel", "not_received", "no_return"),
        or_(
            RefundLine.returned.is_(True),
            RefundLine.restock.is_(True),
            func.coalesce(Refund.reason, "") != "",
        ),
    )


def returns_by_product(session: Session, period: Period) -> ReturnsReport:
    """Units sold and returned per product, split by flagged customers, for orders placed in the period."""
    sid = period.shop_id
    in_period = (Order.shop_id == sid, Order.created_at >= period.since, Order.created_at < period.until)
    sold_flag = _flag(Order.customer_id, sid)
    sold = session.execute(
        select(LineItem.product_id, sold_flag, func.sum(LineItem.quantity))
        .join(Order, Order.id == LineItem.order_id)
        .where(*in_period, LineItem.product_id.is_not(None), Order.status != OrderStatus.cancelled)
        .group_by(LineItem.product_id, sold_flag)
    ).all()
    back_flag = _flag(Order.customer_id, sid)
    returned = session.execute(
        select(LineItem.product_id, back_flag, func.sum(RefundLine.quantity))
        .select_from(RefundLine)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(LineItem, LineItem.id == RefundLine.line_item_id)
        .join(Order, Order.id == Refund.order_id)
        .where(*in_period, LineItem.product_id.is_not(None), _goods_came_back())
        .group_by(LineItem.product_id, back_flag)
    ).all()
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # sold, returned, sold_f, returned_f
    for product_id, flagged, n in sold:
        tally[product_id][0] += int(n or 0)
        if flagged:
            tally[product_id][2] += int(n or 0)
    for product_id, flagged, n in returned:
        tally[product_id][1] += int(n or 0)
        if flagged:
            tally[product_id][3] += int(n or 0)
    names = {
        pid: (title, category)
        for pid, title, category in session.execute(
            select(Product.id, Product.title, Product.category).where(Product.id.in_(list(tally)))
        )
    }
    products = [ReturnRate(str(pid), names.get(pid, ("?", ""))[0], *counts) for pid, counts in tally.items()]
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for pid, counts in tally.items():
        for i, n in enumerate(counts):
            by_category[names.get(pid, ("", ""))[1] or "-"][i] += n
    categories = [ReturnRate(cat, cat, *counts) for cat, counts in by_category.items()]
    whole = [sum(c[i] for c in tally.values()) for i in range(4)]

    def order(rates: list[ReturnRate]) -> list[ReturnRate]:
        return sorted(rates, key=lambda r: (-r.rate, -r.returned, r.label))

    return ReturnsReport(
        order([p for p in products if p.returned]), order(categories), ReturnRate("all", "all", *whole)
    )


# ---------------------------------------------------------------- disputes


@dataclass
class DisputeGroup:
    key: str
    count: int = 0
    amount: int = 0
    won: int = 0
    lost: int = 0
    lost_amount: int = 0

    @property
    def win_rate(self) -> float | None:
        return win_rate(self.won, self.lost)

    def add(self, amount: int, status: str) -> None:
        self.count += 1
        self.amount += amount
        if status == DisputeStatus.won:
            self.won += 1
        elif status in ENDED_LOST:
            self.lost += 1
            self.lost_amount += amount


@dataclass
class DisputesReport:
    total: DisputeGroup
    by_reason: list[DisputeGroup]
    by_gateway: list[DisputeGroup]
    by_month: list[DisputeGroup]


def disputes(session: Session, period: Period) -> DisputesReport:
    """Disputes opened in the period by normalized reason, gateway and month: counts, amounts, win rate."""
    opened = func.coalesce(Dispute.opened_at, Dispute.created_at)
    rows = session.execute(
        select(Dispute.reason, Dispute.gateway, Dispute.status, Dispute.amount, opened).where(
            Dispute.shop_id == period.shop_id, opened >= period.since, opened < period.until
        )
    ).all()
    total = DisputeGroup("all")
    reasons: dict[str, DisputeGroup] = {}
    gateways: dict[str, DisputeGroup] = {}
    months = {m: DisputeGroup(m) for m in period.months()}
    for reason, gateway, status, amount, at in rows:
        total.add(amount, status)
        key = str(normalized_reason(reason))
        reasons.setdefault(key, DisputeGroup(key)).add(amount, status)
        gateways.setdefault(str(gateway), DisputeGroup(str(gateway))).add(amount, status)
        month = at.strftime("%Y-%m")
        if month in months:
            months[month].add(amount, status)

    def biggest(groups: dict[str, DisputeGroup]) -> list[DisputeGroup]:
        return sorted(groups.values(), key=lambda g: (-g.count, g.key))

    return DisputesReport(total, biggest(reasons), biggest(gateways), list(months.values()))


# ---------------------------------------------------------------- screening


@dataclass
class ReasonHits:
    code: str
    hits: int = 0
    bad: int = 0
    held: int = 0
    released: int = 0  # held orders a person approved: screening overridden

    @property
    def later_bad_share(self) -> float:
        return share(self.bad, self.hits)

    @property
    def override_share(self) -> float | None:
        return share(self.released, self.held) if self.held else None


@dataclass
class ScreeningReport:
    by_month: list[tuple[str, dict[str, int]]]
    totals: dict[str, int]
    reasons: list[ReasonHits]
    reviews: dict[str, int]


def screening(session: Session, period: Period) -> ScreeningReport:
    """Decisions by outcome per month, reasons by hits with how many later turned bad, review outcomes."""
    sid = period.shop_id
    window = (
        Decision.shop_id == sid,
        Decision.created_at >= period.since,
        Decision.created_at < period.until,
    )
    month = month_of(session, Decision.created_at)
    counts = session.execute(
        select(month, Decision.decision, func.count()).where(*window).group_by(month, Decision.decision)
    ).all()
    by_month = {m: {o.value: 0 for o in Outcome} for m in period.months()}
    totals = {o.value: 0 for o in Outcome}
    for m, outcome, n in counts:
        if m in by_month:
            by_month[m][str(outcome)] += int(n)
        totals[str(outcome)] = totals.get(str(outcome), 0) + int(n)

    bad = {
        row[0]
        for row in session.execute(
            bad_orders(
                Order.shop_id == sid, Order.created_at >= period.since, Order.created_at < period.until
            )
        )
    }
    orders = (
        select(Order.id, Order.held, Order.held_at, Order.status)
        .where(Order.shop_id == sid, Order.held_at.is_not(None))
        .subquery()
    )
    hits: dict[str, ReasonHits] = {}
    rows = session.execute(
        select(Decision.order_id, Decision.reasons, orders.c.held, orders.c.held_at, orders.c.status)
        .outerjoin(orders, orders.c.id == Decision.order_id)
        .where(*window, cast(Decision.reasons, String) != "[]")
    )
    for order_id, reasons, held, held_at, status in rows:
        was_held = held_at is not None
        released = was_held and not held and status != OrderStatus.cancelled
        for code in {r.get("code") for r in reasons or [] if r.get("code")}:
            h = hits.setdefault(str(code), ReasonHits(str(code)))
            h.hits += 1
            h.bad += order_id in bad
            h.held += was_held
            h.released += released
    review = session.execute(
        select(Order.held, Order.status, func.count())
        .where(Order.shop_id == sid, Order.held_at >= period.since, Order.held_at < period.until)
        .group_by(Order.held, Order.status)
    ).all()
    reviews = {"approved": 0, "cancelled": 0, "waiting": 0}
    for held, status, n in review:
        key = "waiting" if held else "cancelled" if status == OrderStatus.cancelled else "approved"
        reviews[key] += int(n)
    return ScreeningReport(
        list(by_month.items()), totals, sorted(hits.values(), key=lambda h: (-h.hits, h.code)), reviews
    )


# ---------------------------------------------------------------- losses


@dataclass
class LossMonth:
    """A month's orders: what screening stopped, and what the orders placed in it cost (their ledger)."""

    month: str
    prevented_orders: int = 0
    prevented: int = 0
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def chargebacks(self) -> int:
        return self.ledger.chargebacks

    @property
    def dispute_fees(self) -> int:
        return self.ledger.dispute_fees

    @property
    def refunds_without_return(self) -> int:
        return self.ledger.goods_not_returned

    @property
    def fees(self) -> int:
        return self.ledger.fees_not_returned

    @property
    def return_shipping(self) -> int:
        return self.ledger.return_shipping

    @property
    def restocking_fees_kept(self) -> int:
        return self.ledger.restocking_fees_kept

    @property
    def suffered(self) -> int:
        return self.ledger.true_loss


@dataclass
class LossesReport:
    months: list[LossMonth]
    total: LossMonth = field(default_factory=lambda: LossMonth("all"))


def losses(session: Session, period: Period) -> LossesReport:
    """Per month of the orders placed: orders screening stopped (blocked, or cancelled after a hold)
    and their value, and the true-loss ledger of the month's orders (what the dashboard and each
    customer's page count): chargebacks and dispute fees, goods not returned, fees kept, labels paid,
    less restocking fees kept."""
    sid = period.shop_id
    months = {m: LossMonth(m) for m in period.months()}
    in_period = (Order.shop_id == sid, Order.created_at >= period.since, Order.created_at < period.until)
    blocked = select(Decision.order_id).where(
        Decision.shop_id == sid, Decision.decision == Outcome.block, Decision.order_id.is_not(None)
    )
    stopped = or_(
        Order.id.in_(blocked),
        and_(Order.held_at.is_not(None), Order.status == OrderStatus.cancelled),
        Order.cancel_reason == CancelReason.fraud,
    )
    month = month_of(session, Order.created_at)
    for m, n, value in session.execute(
        select(month, func.count(), func.coalesce(func.sum(Order.total), 0))
        .where(*in_period, stopped)
        .group_by(month)
    ):
        if m in months:
            months[m].prevented_orders += int(n)
            months[m].prevented += int(value)
    for m, ledger in ledgers_by(session, period.shop, month, *in_period).items():
        if m in months:
            months[m].ledger.add(ledger)
    report = LossesReport(list(months.values()))
    for m in report.months:
        report.total.prevented_orders += m.prevented_orders
        report.total.prevented += m.prevented
        report.total.ledger.add(m.ledger)
    return report


# ---------------------------------------------------------------- consistency


@dataclass
class FactsGroup:
    """Customers with the same findings and score band, and how differently they are treated."""

    findings: tuple[str, ...]
    score_band: str
    treatments: dict[str, list[int]]  # treatment -> customer ids (lowest first)

    @property
    def customers(self) -> int:
        return sum(len(ids) for ids in self.treatments.values())


def consistency(session: Session, period: Period) -> list[FactsGroup]:
    """ "Same facts, same outcome": customers whose risk findings and score band are the same but whose
    treatment differs (blocked, held for review, restricted segment, or nothing), biggest groups
    first, so a person can look at them side by side and correct either."""
    sid = period.shop_id
    blocks = dict(
        session.execute(
            select(CustomerBlock.customer_id, func.max(CustomerBlock.action))
            .where(CustomerBlock.shop_id == sid, CustomerBlock.status == BlockStatus.active)
            .group_by(CustomerBlock.customer_id)
        ).all()
    )
    groups: dict[tuple[tuple[str, ...], str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    stmt = select(
        CustomerRisk.customer_id, CustomerRisk.findings, CustomerRisk.score, CustomerRisk.segment
    ).where(CustomerRisk.shop_id == sid, cast(CustomerRisk.findings, String) != "[]")
    for customer_id, findings, score, segment in session.execute(stmt.order_by(CustomerRisk.customer_id)):
        kinds = tuple(sorted({str(f.get("type")) for f in findings or [] if f.get("type")}))
        if not kinds:
            continue
        treatment = f"block:{blocks[customer_id]}" if customer_id in blocks else f"segment:{segment}"
        groups[(kinds, score_band(int(score)))][treatment].append(customer_id)
    found = [
        FactsGroup(kinds, band_name, {t: ids for t, ids in sorted(treated.items())})
        for (kinds, band_name), treated in groups.items()
        if len(treated) > 1
    ]
    return sorted(found, key=lambda g: (-g.customers, g.findings, g.score_band))
