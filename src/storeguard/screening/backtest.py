"""Backtest: what a draft rule (or rule set) would have done to past orders, and at what cost.

Orders in the date range are read in one pass as columns; only the facts the rules use are
computed (order amounts, the customer's history as it stood at each order, email, countries and
line aggregates), so a rule over a million orders runs in seconds. Facts that need the whole
screening pipeline (lists, links, velocity, signals) take the slow path: each order's facts are
built by ``screen()`` with the clock at the order's time; customer refunds and returns are then
as they stand today. The answer says which path ran.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from storeguard.core.clock import ensure_utc, frozen
from storeguard.core.errors import Invalid, NotFound
from storeguard.core.money import exponent, to_decimal_str
from storeguard.core.prepared import Prepared
from storeguard.customers.disposable import is_disposable
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order
from storeguard.rules import CompiledRule, RuleError, compile_rule
from storeguard.rules.facts import FACTS
from storeguard.rules.service import ActiveRuleset, resolver_for
from storeguard.screening.enums import STRENGTH, Outcome
from storeguard.screening.errors import ScreeningError
from storeguard.screening.facts import country_of
from storeguard.screening.outcomes import bad_outcome_condition
from storeguard.shops.models import Product, Shop

_ORDER_FACTS = {"order.total", "order.subtotal", "order.shipping", "order.currency", "order.source"}
_HISTORY_FACTS = {"order.is_first_order", "customer.orders_count", "customer.total_spent"}
_EMAIL_FACTS = {"email.address", "email.domain", "email.is_disposable", "ip.address"}
_COUNTRY_FACTS = {"order.shipping_country", "order.billing_country"}
_LINE_FACTS = {
    "order.item_count",
    "order.line_count",
    "order.has_high_value",
    "order.has_limited_edition",
    "order.categories",
    "order.tags",
    "order.max_variants_of_one_product",
}
COLUMNAR_FACTS = _ORDER_FACTS | _HISTORY_FACTS | _EMAIL_FACTS | _COUNTRY_FACTS | _LINE_FACTS


@dataclass(slots=True)
class BacktestResult:
    """How many orders and how much revenue the rules would have stopped, and how many were good."""

    shop_id: int
    currency: str
    date_from: datetime
    date_to: datetime
    rules: list[dict[str, Any]]
    path: str  # "columnar" or "full"
    orders: int = 0
    revenue: int = 0
    stopped: int = 0
    stopped_revenue: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    stopped_bad: int = 0
    stopped_good: int = 0
    stopped_good_revenue: int = 0
    good_customers_stopped: int = 0
    bad_total: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the answer for the API and the CLI."""
        money = lambda m: to_decimal_str(m, self.currency)  # noqa: E731
        return {
            "shop_id": self.shop_id,
            "currency": self.currency,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "rules": self.rules,
            "path": self.path,
            "orders": self.orders,
            "revenue": money(self.revenue),
            "stopped": self.stopped,
            "stopped_revenue": money(self.stopped_revenue),
            "by_action": self.by_action,
            "stopped_bad": self.stopped_bad,
            "stopped_good": self.stopped_good,
            "stopped_good_revenue": money(self.stopped_good_revenue),
            "good_customers_stopped": self.good_customers_stopped,
            "bad_total": self.bad_total,
            "bad_caught_share": round(self.stopped_bad / self.bad_total, 4) if self.bad_total else None,
            "good_share_of_stopped": round(self.stopped_good / self.stopped, 4) if self.stopped else None,
            "seconds": round(self.seconds, 3),
        }


def compile_drafts(session: Session, shop_id: int, sources: list[str]) -> list[CompiledRule]:
    """Compile draft rules; a bad one is refused with the rule's index and the compiler's message."""
    lists = resolver_for(session, shop_id)
    compiled = []
    for i, source in enumerate(sources):
        try:
            compiled.append(compile_rule(source, FACTS, lists))
        except RuleError as exc:
            raise Invalid(ScreeningError.invalid_rule, f"rule {i + 1}: {exc}", field=f"rules.{i}") from None
    return compiled


def backtest(
    session: Session, *, shop_id: int, sources: list[str], date_from: datetime, date_to: datetime
) -> BacktestResult:
    """Run draft rules over the shop's orders created in [date_from, date_to)."""
    import time

    started = time.perf_counter()
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(ScreeningError.unknown_shop, f"no shop {shop_id}")
    date_from, date_to = ensure_utc(date_from), ensure_utc(date_to)
    if date_to <= date_from:
        raise Invalid(ScreeningError.invalid_range, "'to' must come after 'from'", field="to")
    rules = compile_drafts(session, shop_id, sources)
    used = set().union(*(r.fields_used for r in rules))
    path = "columnar" if used <= COLUMNAR_FACTS else "full"
    result = BacktestResult(
        shop_id=shop_id,
        currency=shop.currency,
        date_from=date_from,
        date_to=date_to,
        path=path,
        rules=[{"source": r.source, "action": r.action} for r in rules],
    )
    orders = (
        _columnar(session, shop, used, date_from, date_to)
        if path == "columnar"
        else _full(session, shop, date_from, date_to)
    )
    strength = [(r.matches, STRENGTH[Outcome(r.action)]) for r in rules]
    stopped: list[tuple[int, int | None, int, int]] = []  # order id, customer id, total, strength
    count = revenue = 0
    if len(strength) == 1:
        # One rule: the decision is its action or nothing (the common draft, kept to one call per order).
        (matches, best), keep = strength[0], stopped.append
        for order_id, customer_id, total, facts in orders:
            count += 1
            revenue += total
            if matches(facts):
                keep((order_id, customer_id, total, best))
        if best <= 0:
            stopped.clear()
    else:
        for order_id, customer_id, total, facts in orders:
            count += 1
            revenue += total
            best = -1
            for matches, s in strength:
                if s > best and matches(facts):
                    best = s
            if best > 0:
                stopped.append((order_id, customer_id, total, best))
    result.orders, result.revenue = count, revenue
    result.bad_total = _count_bad(session, shop.id, date_from, date_to)
    bad = _bad_among(session, [order_id for order_id, *_ in stopped])
    good_customers: set[int] = set()
    by_action: dict[str, int] = defaultdict(int)
    names = {o.strength: o.value for o in Outcome}
    for order_id, cid, total, best in stopped:
        by_action[names[best]] += 1
        result.stopped += 1
        result.stopped_revenue += total
        if order_id in bad:
            result.stopped_bad += 1
        else:
            result.stopped_good += 1
            result.stopped_good_revenue += total
            if cid is not None:
                good_customers.add(cid)
    result.by_action = dict(by_action)
    result.good_customers_stopped = len(good_customers)
    result.seconds = time.perf_counter() - started
    return result


def _bad_statement(ids: int) -> Select[Any]:
    return select(Order.id).where(
        Order.id.in_([bindparam(f"id_{i}", type_=BigInteger) for i in range(ids)]), bad_outcome_condition()
    )


_BAD_AMONG = Prepared(_bad_statement)
_CHUNK = 500  # ids per statement: under every driver's parameter limit, and few shapes to compile


def _bad_among(session: Session, order_ids: list[int]) -> set[int]:
    """Return which of these orders turned bad, by primary key (the stopped orders are few)."""
    found: set[int] = set()
    for start in range(0, len(order_ids), _CHUNK):
        chunk = order_ids[start : start + _CHUNK]
        chunk += chunk[-1:] * (_CHUNK - len(chunk))  # pad with a repeat: one compiled shape
        found.update(
            r[0] for r in _BAD_AMONG.rows(session, {f"id_{i}": v for i, v in enumerate(chunk)}, (_CHUNK,))
        )
    return found


def _count_bad(session: Session, shop_id: int, date_from: datetime, date_to: datetime) -> int:
    """Count the range's orders that turned bad, reading the shop's orders in table order."""
    o = Order
    # ``+ 0`` keeps SQLite from walking an index and looking up every row of a wide range one by one.
    stmt = select(func.count()).where(
        (o.shop_id + 0) == shop_id,
        bad_outcome_condition(),
        case((o.created_at >= date_from, case((o.created_at < date_to, 1), else_=0)), else_=0) == 1,
    )
    return int(session.connection().execute(stmt).scalar() or 0)


def _columnar_statement(columns: tuple[str, ...]) -> Select[Any]:
    o = Order.__table__.c
    return (
        select(o.id, o.customer_id, o.total, *(o[name] for name in columns))
        .where(
            o.shop_id == bindparam("shop_id", type_=BigInteger),
            o.created_at >= bindparam("date_from", type_=o.created_at.type),
            o.created_at < bindparam("date_to", type_=o.created_at.type),
        )
        .order_by(o.created_at, o.id)
    )


_COLUMNAR = Prepared(_columnar_statement)


def _columnar(
    session: Session, shop: Shop, used: set[str], date_from: datetime, date_to: datetime
) -> Iterator[tuple[int, int | None, int, dict[str, Any]]]:
    """Yield each order in time order with the facts the rules use.

    The facts mapping is one dict updated in place for every order (the caller evaluates it before
    asking for the next): building a fresh dict per order cost more than the rules.
    """
    want_email = bool(used & _EMAIL_FACTS)
    want_country = bool(used & _COUNTRY_FACTS)
    extra = [name for name, fact in _PLAIN_COLUMNS if fact in used]
    if want_email:
        extra += ["email", "browser_ip"]
    if want_country:
        extra += ["shipping_address", "billing_address"]
    if used & {"customer.total_spent"}:
        extra.append("status")
    columns = tuple(extra)
    at = {name: 3 + i for i, name in enumerate(columns)}

    # The customer's history as it stood at each order: what came before the range, then a running count.
    o = Order
    want_history = bool(used & _HISTORY_FACTS)
    history: dict[int, list[int]] = {}
    if want_history:
        spent = func.sum(case((o.status != OrderStatus.cancelled.value, o.total), else_=0))
        before = select(o.customer_id, func.count(o.id), spent).where(
            o.shop_id == shop.id, o.created_at < date_from, o.customer_id.is_not(None)
        )
        history = {
            cid: [int(n), int(s or 0)]
            for cid, n, s in session.connection().execute(before.group_by(o.customer_id))
        }
    in_range = (o.shop_id == shop.id, o.created_at >= date_from, o.created_at < date_to)
    lines = _line_aggregates(session, shop, in_range) if used & _LINE_FACTS else {}

    scale = 10 ** exponent(shop.currency)
    money = [(fact, at[name]) for name, fact in _PLAIN_COLUMNS if fact in used and name in _MONEY]
    texts = [(fact, at[name]) for name, fact in _PLAIN_COLUMNS if fact in used and name not in _MONEY]
    cancelled = OrderStatus.cancelled.value
    want_spent = "status" in at
    status_at = at.get("status", 0)
    facts: dict[str, Any] = {}
    values = {"shop_id": shop.id, "date_from": date_from, "date_to": date_to}
    for r in _COLUMNAR.stream(session, values, (columns,)):
        order_id, cid, total = r[0], r[1], r[2]
        if money:
            for name, i in money:
                facts[name] = r[i] / scale
        if texts:
            for name, i in texts:
                facts[name] = r[i]
        if want_history:
            h = history.get(cid)
            if h is None:
                h = [0, 0]
                if cid is not None:
                    history[cid] = h
            n = h[0]
            facts["customer.orders_count"] = n
            facts["order.is_first_order"] = n == 0
            h[0] = n + 1
            if want_spent:
                facts["customer.total_spent"] = h[1] / scale
                if r[status_at] != cancelled:
                    h[1] += total
        if want_email:
            email, ip = r[at["email"]], r[at["browser_ip"]]
            address = email.strip().lower() if email else None
            domain = address.rsplit("@", 1)[1] if address and "@" in address else None
            facts["email.address"] = address
            facts["email.domain"] = domain
            facts["email.is_disposable"] = bool(domain and is_disposable(domain))
            facts["ip.address"] = ip
        if want_country:
            ship, bill = r[at["shipping_address"]], r[at["billing_address"]]
            facts["order.shipping_country"] = country_of(json.loads(ship) if isinstance(ship, str) else ship)
            facts["order.billing_country"] = country_of(json.loads(bill) if isinstance(bill, str) else bill)
        if lines:
            facts.update(lines.get(order_id) or _EMPTY_LINES)
        yield order_id, cid, total, facts


# Order columns read as they are: (column, fact).
_PLAIN_COLUMNS = (
    ("total", "order.total"),
    ("subtotal", "order.subtotal"),
    ("shipping", "order.shipping"),
    ("currency", "order.currency"),
    ("source", "order.source"),
)
_MONEY = {"total", "subtotal", "shipping"}


_EMPTY_LINES: dict[str, Any] = {
    "order.item_count": 0,
    "order.line_count": 0,
    "order.has_high_value": False,
    "order.has_limited_edition": False,
    "order.categories": [],
    "order.tags": [],
    "order.max_variants_of_one_product": 0,
}


def _line_aggregates(session: Session, shop: Shop, in_range: tuple[Any, ...]) -> dict[int, dict[str, Any]]:
    stmt = (
        select(
            LineItem.order_id,
            LineItem.product_id,
            LineItem.sku,
            LineItem.quantity,
            LineItem.variant,
            Product.category,
            Product.tags,
            Product.high_value,
            Product.limited_edition,
        )
        .join(Order, Order.id == LineItem.order_id)
        .outerjoin(Product, Product.id == LineItem.product_id)
        .where(*in_range)
    )
    acc: dict[int, dict[str, Any]] = {}
    variants: dict[int, dict[Any, set[str]]] = defaultdict(lambda: defaultdict(set))
    for oid, pid, sku, qty, variant, category, tags, high, limited in session.execute(stmt):
        a = acc.get(oid)
        if a is None:
            a = acc[oid] = {**_EMPTY_LINES, "order.categories": set(), "order.tags": set()}
        a["order.item_count"] += qty
        a["order.line_count"] += 1
        a["order.has_high_value"] = a["order.has_high_value"] or bool(high)
        a["order.has_limited_edition"] = a["order.has_limited_edition"] or bool(limited)
        if category:
            a["order.categories"].add(category)
        for t in (json.loads(tags) if isinstance(tags, str) else tags) or ():
            a["order.tags"].add(t)
        variants[oid][pid if pid is not None else sku].add(
            json.dumps(variant, sort_keys=True) if variant else ""
        )
    for oid, a in acc.items():
        a["order.categories"] = sorted(a["order.categories"])
        a["order.tags"] = sorted(a["order.tags"])
        a["order.max_variants_of_one_product"] = max(len(v) for v in variants[oid].values())
    return acc


def _full(
    session: Session, shop: Shop, date_from: datetime, date_to: datetime
) -> Iterator[tuple[int, int | None, int, dict[str, Any]]]:
    """Yield each order with every fact, built by ``screen()`` with the clock at the order's time."""
    from storeguard.screening.engine import screen

    o = Order
    stmt = (
        select(o)
        .where(o.shop_id == shop.id, o.created_at >= date_from, o.created_at < date_to)
        .order_by(o.created_at, o.id)
    )
    # Screening with no saved rules: only the facts are wanted here, the drafts are evaluated after.
    empty = ActiveRuleset(policy_version=0, rules=())
    for order in session.scalars(stmt):
        with frozen(order.created_at):
            facts = screen(session, order, ruleset=empty).facts
        yield order.id, order.customer_id, order.total, facts
