"""Backtest: what a draft rule (or rule set) would have done to past orders, and at what cost.

Orders in the date range are read in one pass as columns; only the facts the rules use are
computed (order amounts, the checkout's own facts, the customer's history as it stood at each
order with refunds, returns and chargebacks read once per shop by ``backtest_history``, email,
countries and line aggregates), so a rule over a million orders runs in seconds. The rules' simple conditions
(an amount or text column against a constant) are translated to SQL exactly (rules.sql), so the
database marks the orders a rule could fire on and only those get facts; Python still decides,
and ``pushdown=False`` runs without the translation, as the reference. The profile facts (risk,
segment, links, velocity, signals) are read once per shop too (``backtest_profile``). Every fact
runs on this columnar path; ``full=True`` builds each order's facts with ``screen()`` instead, with
the clock at the order's time and the customer's history as it stood then: the reference the
columnar path is tested against. The answer says which path ran. A range of ``SPLIT_FROM`` orders
or more is split by customer over the machine's cores (``_shares``), each process answering for
its share of the customers.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, null, select
from sqlalchemy.orm import Session

from storeguard.core.bulk import SharedCount, cycle_collection_paused, in_processes, processes_available
from storeguard.core.clock import ensure_utc, frozen
from storeguard.core.db import READ_ONLY, make_engine, make_session_factory
from storeguard.core.errors import Invalid
from storeguard.core.money import exponent
from storeguard.core.prepared import stream_once
from storeguard.customers.disposable import is_disposable
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import LineItem, Order
from storeguard.rules import CompiledRule, RuleError, compile_rule
from storeguard.rules.columns import firing_rows
from storeguard.rules.facts import CHECKOUT_FACTS, FACTS
from storeguard.rules.service import ActiveRuleset, resolver_for
from storeguard.rules.sql import SqlFact, candidates
from storeguard.screening.backtest_history import (
    ACCOUNT_FACTS,
    RECORDED_FACTS,
    accounts,
    in_share,
    naive_utc,
    raw_time,
    recorded_history,
)
from storeguard.screening.backtest_profile import (
    PROFILE_FACTS,
    SEGMENT_FACTS,
    SIGNAL_FACTS,
    Profiles,
    row_getter,
    scan_column,
    with_needs,
)
from storeguard.screening.engine import screen
from storeguard.screening.enums import STRENGTH, Outcome
from storeguard.screening.errors import ScreeningError
from storeguard.screening.facts import checkout_facts, country_of, line_facts, phone_country
from storeguard.screening.geoip import country_of_ip
from storeguard.screening.inputs import OrderInput, checkout_fields
from storeguard.screening.outcomes import bad_orders
from storeguard.screening.policy import CustomerMetrics
from storeguard.shops.models import Product, Shop
from storeguard.shops.service import get_shop

_ORDER_FACTS = {"order.total", "order.subtotal", "order.shipping", "order.currency", "order.source"}
_HISTORY_FACTS = {
    "order.is_first_order",
    "customer.orders_count",
    "customer.total_spent",
    "customer.cancellations",
}
# The facts that need each earlier order's status: spend and cancellations leave the cancelled out.
_STATUS_FACTS = {"customer.total_spent", "customer.cancellations", "customer.refund_ratio"}
# Read from the order's own columns by screening's own functions (GeoIP, the phone number's country).
_LOOKUP_FACTS = {"order.ip_country", "phone.country"}
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
    "order.lines",
}
# The checkout's own facts (card, local time, discount, address parts, browser, buyer), read from the
# order's columns; its two line facts come with the line aggregates.
_CHECKOUT_LINE_FACTS = {"order.max_line_price", "order.quantity_total"}
_CHECKOUT_COLUMNS = (
    "created_at",
    "email",
    "browser_ip",
    "user_agent",
    "card_bin",
    "card_last4",
    "card_expiry",
    "discount",
    "shipping",
    "shipping_address",
    "billing_address",
    "checkout",
)
COLUMNAR_FACTS = (
    _ORDER_FACTS
    | _HISTORY_FACTS
    | RECORDED_FACTS
    | ACCOUNT_FACTS
    | _LOOKUP_FACTS
    | _EMAIL_FACTS
    | _COUNTRY_FACTS
    | _LINE_FACTS
    | CHECKOUT_FACTS
    | PROFILE_FACTS
)


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
        return {
            "shop_id": self.shop_id,
            "currency": self.currency,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "rules": self.rules,
            "path": self.path,
            "orders": self.orders,
            "revenue": self.revenue,
            "stopped": self.stopped,
            "stopped_revenue": self.stopped_revenue,
            "by_action": self.by_action,
            "stopped_bad": self.stopped_bad,
            "stopped_good": self.stopped_good,
            "stopped_good_revenue": self.stopped_good_revenue,
            "good_customers_stopped": self.good_customers_stopped,
            "bad_total": self.bad_total,
            "bad_caught_share": round(self.stopped_bad / self.bad_total, 4) if self.bad_total else None,
            "good_share_of_stopped": round(self.stopped_good / self.stopped, 4) if self.stopped else None,
            "seconds": round(self.seconds, 3),
        }


def compile_drafts(
    session: Session, shop_id: int, sources: list[str], fields: list[str] | None = None
) -> list[CompiledRule]:
    """Compile draft rules; a bad one is refused as saving it would be, its field naming the draft.

    ``fields`` names each source as the caller sent it (``rule``), ``rules.N`` by default.
    """
    lists = resolver_for(session, shop_id)
    compiled = []
    for i, source in enumerate(sources):
        try:
            compiled.append(compile_rule(source, FACTS, lists))
        except RuleError as exc:
            # Code, message, position and caret stay the rule's own; only the field says which draft.
            exc.field = fields[i] if fields else f"rules.{i}"
            raise
    return compiled


def backtest(
    session: Session,
    *,
    shop_id: int,
    sources: list[str],
    date_from: datetime,
    date_to: datetime,
    pushdown: bool = True,
    full: bool = False,
    fields: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BacktestResult:
    """Run draft rules over the shop's orders created in [date_from, date_to).

    ``pushdown=False`` evaluates every order in Python: the reference the SQL pushdown is tested against.
    ``full=True`` screens every order even when the columnar path could answer: the reference the
    columnar path is tested against. ``fields`` names the sources in a refusal, as ``compile_drafts`` says.
    ``progress`` is told how many of the range's orders are read, every ``PROGRESS_EVERY`` and at the end.
    """

    started = time.perf_counter()
    shop = get_shop(session, shop_id, field="shop_id")
    date_from, date_to = ensure_utc(date_from), ensure_utc(date_to)
    if date_to <= date_from:
        raise Invalid(ScreeningError.invalid_range, "'to' must come after 'from'", field="to")
    rules = compile_drafts(session, shop_id, sources, fields)
    path = "full" if full else "columnar"
    result = BacktestResult(
        shop_id=shop_id,
        currency=shop.currency,
        date_from=date_from,
        date_to=date_to,
        path=path,
        rules=[{"source": r.source, "action": r.action} for r in rules],
    )
    # An order is stopped by its strongest matching action when that is above allow: allow rules
    # never change the answer, so only the others are evaluated.
    stopping = [r for r in rules if STRENGTH[Outcome(r.action)] > 0]
    with cycle_collection_paused():
        _decide(session, shop, stopping, result, date_from, date_to, progress, pushdown=pushdown)
    result.seconds = time.perf_counter() - started
    return result


def _decide(
    session: Session,
    shop: Shop,
    stopping: list[CompiledRule],
    result: BacktestResult,
    date_from: datetime,
    date_to: datetime,
    progress: Callable[[int], None] | None,
    *,
    pushdown: bool,
) -> None:
    """Run the rules that stop orders over the range and fill in ``result``'s counts."""
    tally = _Tally(progress=progress)
    shares = _shares(session, shop.id, stopping, result.path, date_from, date_to)
    bad: set[int] = set()

    def read_bad() -> None:
        bad.update(_bad_ids(session, shop.id, date_from, date_to))

    if shares:
        url, n = shares
        calls = [
            (url, shop.id, [r.source for r in stopping], date_from, date_to, pushdown, (j, n))
            for j in range(n)
        ]
        stopped: list[tuple[int, int | None, int, int]] = []
        # The orders that turned bad are read here while the processes work.
        answers = in_processes(_share_stopped, calls, preload=_PRELOAD, progress=progress, meanwhile=read_bad)
        for part, orders, revenue in answers:
            stopped += part
            tally.orders += orders
            tally.revenue += revenue
    else:
        rows = (
            _columnar(session, shop, stopping, date_from, date_to, tally, pushdown=pushdown)
            if result.path == "columnar"
            else _full(session, shop, date_from, date_to, tally)
        )
        stopped = _stopped(rows, stopping)
        read_bad()
    result.orders, result.revenue = tally.orders, tally.revenue
    if progress is not None:
        progress(result.orders)
    result.bad_total = len(bad)
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


def _stopped(
    orders: Iterable[tuple[int, int | None, int, dict[str, Any] | int]], stopping: list[CompiledRule]
) -> list[tuple[int, int | None, int, int]]:
    """The orders the rules stop: (order id, customer id, total, the strongest stopping action's strength)."""
    strength = [(r.matches, STRENGTH[Outcome(r.action)]) for r in stopping]
    stopped: list[tuple[int, int | None, int, int]] = []
    if len(strength) == 1:
        # One rule: the decision is its action or nothing (the common draft, kept to one call per order).
        (matches, best), keep = strength[0], stopped.append
        for order_id, customer_id, total, facts in orders:
            if facts.__class__ is int:  # decided column by column: its strength, not its facts
                keep((order_id, customer_id, total, facts))
            elif matches(facts):
                keep((order_id, customer_id, total, best))
        return stopped
    for order_id, customer_id, total, facts in orders:
        if facts.__class__ is int:
            stopped.append((order_id, customer_id, total, facts))
            continue
        best = -1
        for matches, s in strength:
            if s > best and matches(facts):
                best = s
        if best > 0:
            stopped.append((order_id, customer_id, total, best))
    return stopped


# A range of this many orders or more is split over the machine's cores (``_shares``): below it,
# starting the processes and reading the shop's lists, links and velocity once per process cost
# more than sharing the orders saves.
SPLIT_FROM = 200_000
# What each process needs, imported once in the fork server.
_PRELOAD = ("storeguard.models", "storeguard.screening.backtest")


def _shares(
    session: Session,
    shop_id: int,
    stopping: list[CompiledRule],
    path: str,
    date_from: datetime,
    date_to: datetime,
) -> tuple[str, int] | None:
    """Whether to split the range over processes: the database's address and how many, or None.

    Only the columnar path of a large range is split, on a database other processes can open (a
    file or a server, not memory), and only where there are cores to spare. Every process reads the
    database as it is committed: a backtest reads, never writes, so it sees what its caller sees.
    """
    cores = processes_available()
    if cores < 2 or path != "columnar" or not stopping:
        return None
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:") or url.database.startswith("file:"):
            return None
        url = url.set(database=os.path.abspath(url.database))  # the processes may not share our directory
    o = Order.__table__.c
    n = session.scalar(
        select(func.count()).where(o.shop_id == shop_id, o.created_at >= date_from, o.created_at < date_to)
    )
    if (n or 0) < SPLIT_FROM:
        return None
    return url.render_as_string(hide_password=False), cores


def _share_stopped(
    url: str,
    shop_id: int,
    sources: list[str],
    date_from: datetime,
    date_to: datetime,
    pushdown: bool,
    share: tuple[int, int],
    counted: SharedCount,
) -> tuple[list[tuple[int, int | None, int, int]], int, int]:
    """One process's share of a split backtest: the orders of its share of the customers.

    Everything worked out for an order depends on the order, its customer's earlier orders and what
    the shop holds, never on another customer's orders: so each share's answer is exactly its part of
    the whole. Returns the orders it stops, and how many orders the share holds and their revenue.
    """
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            session.connection(execution_options={READ_ONLY: True})  # on SQLite: no write lock
            shop = get_shop(session, shop_id, field="shop_id")
            rules = compile_drafts(session, shop_id, sources)
            reported = 0

            def report(n: int) -> None:
                nonlocal reported
                counted.add(n - reported)
                reported = n

            tally = _Tally(progress=report)
            with cycle_collection_paused():
                orders = _columnar(
                    session, shop, rules, date_from, date_to, tally, pushdown=pushdown, share=share
                )
                stopped = _stopped(orders, rules)
            report(tally.orders)
            return stopped, tally.orders, tally.revenue
    finally:
        engine.dispose()


PROGRESS_EVERY = 5000  # orders read between two reports of progress
# Orders whose profile facts are worked out together: the columns of a few tens of thousands stay in
# the processor's caches, where those of a million orders did not (a million took a quarter longer
# per order); what is worked out once per identity or customer is kept from one to the next.
PROFILE_CHUNK = 50_000


@dataclass(slots=True)
class _Tally:
    """How many orders the range holds and their revenue, filled in by the scan that reads them."""

    orders: int = 0
    revenue: int = 0
    progress: Callable[[int], None] | None = None


def _bad_ids(session: Session, shop_id: int, date_from: datetime, date_to: datetime) -> set[int]:
    """Return the range's orders that turned bad, reading the shop's orders in table order.

    One scan answers both how many turned bad and which of the stopped orders did (bad orders are
    a small share of a shop's orders; the stopped ones may be many).
    """
    o = Order
    # ``+ 0`` keeps SQLite from walking an index and looking up every row of a wide range one by one.
    stmt = bad_orders(
        (o.shop_id + 0) == shop_id,
        case((o.created_at >= date_from, case((o.created_at < date_to, 1), else_=0)), else_=0) == 1,
    )
    return {row[0] for row in stream_once(session, stmt)}


def _in_share(share: tuple[int, int]) -> Any:
    """The orders of the j-th of n shares of the customers (``in_share``): a guest order goes by its own id."""
    o = Order.__table__.c
    return in_share(func.coalesce(o.customer_id, o.id), share)


def _columnar(
    session: Session,
    shop: Shop,
    rules: list[CompiledRule],
    date_from: datetime,
    date_to: datetime,
    tally: _Tally,
    *,
    pushdown: bool,
    with_facts: bool = False,
    share: tuple[int, int] | None = None,
) -> Iterator[tuple[int, int | None, int, dict[str, Any] | int]]:
    """Yield the orders the rules may fire on, in time order, with the facts the rules use.

    Every order of the range is counted in ``tally``. With ``pushdown`` the database first tells
    which orders can match (the rules' simple conditions, translated exactly by rules.sql); only
    those get facts and reach the rules, which still decide. The customer's history is kept for
    every order, candidate or not, since it is a running count in time order.

    The facts mapping is one dict updated in place for every order (the caller evaluates it before
    asking for the next): building a fresh dict per order cost more than the rules. With profile
    facts the orders are kept as columns, ``PROFILE_CHUNK`` at a time, and the rules run over them
    column by column: only the orders they stop are yielded, each with the strongest action's strength
    in place of its facts (``with_facts`` yields every order with its facts instead, as the tests
    compare them with full screening's). ``share`` (j, n) keeps the orders of the j-th of n shares of
    the customers (``_share_stopped``): those whose customer's id, or a guest order's own, is j modulo n.
    """
    o = Order.__table__.c
    in_range: tuple[Any, ...] = (o.shop_id == shop.id, o.created_at >= date_from, o.created_at < date_to)
    if share is not None:
        in_range = (*in_range, _in_share(share))
    if not rules:
        tally.orders, tally.revenue = _count(session, in_range)
        return
    fields: set[str] = set().union(*(r.fields_used for r in rules))
    used = with_needs(fields)  # the facts worked out
    # The facts set on each order: the segment's history goes to the profile as metrics, not as facts.
    shown = with_needs(fields, segment=False)
    show_history = bool(shown & _HISTORY_FACTS)
    show_recorded = bool(shown & RECORDED_FACTS)
    scale = 10 ** exponent(shop.currency)
    wanted = candidates(rules, _sql_facts(scale)) if pushdown else None
    want_recorded = bool(used & RECORDED_FACTS)
    want_account = bool(used & ACCOUNT_FACTS)
    want_history = bool(used & (_HISTORY_FACTS | RECORDED_FACTS))
    want_status = bool(used & _STATUS_FACTS)
    want_lookup = bool(used & _LOOKUP_FACTS)
    want_email = bool(used & _EMAIL_FACTS)
    want_country = bool(used & _COUNTRY_FACTS)
    want_lines = bool(used & (_LINE_FACTS | _CHECKOUT_LINE_FACTS))
    want_checkout = bool(used & CHECKOUT_FACTS)
    time_zone = (shop.settings or {}).get("time_zone")
    profile = Profiles(session, shop, used, date_from, date_to) if used & PROFILE_FACTS else None
    want_metrics = profile is not None and profile.want_segment

    extra = [name for name, fact in _PLAIN_COLUMNS if fact in used and name != "total"]  # total: always read
    if want_email or want_checkout:
        extra += ["email", "browser_ip"]
    if want_country or want_checkout:
        extra += ["shipping_address", "billing_address"]
    if want_checkout:
        extra += [name for name in _CHECKOUT_COLUMNS if name not in extra]
    if want_lookup:
        extra += [name for name in ("browser_ip", "phone") if name not in extra]
    if profile is not None:
        extra += [name for name in profile.columns if name not in extra]
    # A row: customer, total, the order's id (NULL for an order the rules cannot fire on, read only
    # for the history), its status when the rules want what the customer spent, then the columns.
    selected: list[Any] = [o.customer_id, o.total, o.id]
    conditions: list[Any] = list(in_range)
    counting = True
    if wanted is not None and want_history:
        # Every order is read for the history, and only the candidates' other columns: SQLite then
        # skips a non-candidate's table row.
        selected = [o.customer_id, o.total, case((wanted, o.id))]
        extra_columns = [case((wanted, scan_column(name))) for name in extra]
    else:
        if wanted is not None:
            conditions.append(wanted)
            tally.orders, tally.revenue = _count(session, in_range)
            counting = False
        extra_columns = [scan_column(name) for name in extra]
    if want_status:
        selected.append(o.status)
    placed_at = len(selected)  # the order's time as the driver gives it, for its history, account, profile
    want_placed = want_recorded or want_account or (profile is not None and profile.reads_order)
    if want_placed:
        placed = raw_time(o.created_at)
        selected.append(case((wanted, placed)) if wanted is not None and want_history else placed)
    # The other columns come after these in each row, by name.
    at = {"total": 1} | {name: len(selected) + i for i, name in enumerate(extra)}
    selected += extra_columns
    stmt = select(*selected).where(*conditions).order_by(o.created_at, o.id)

    # The customer's history as it stood at each order: what came before the range, then a running count.
    counts: dict[int, int] = {}
    spent: dict[int, int] = {}
    cancels: dict[int, int] = {}
    if want_history:
        _history_before(session, shop.id, date_from, counts, (spent, cancels) if want_status else None, share)
    recorded = recorded_history(session, shop.id, used, share) if want_recorded else None
    with_events = recorded.customers() if recorded is not None else frozenset()
    account_of = accounts(session, shop.id, share).get if want_account else None
    fromisoformat = datetime.fromisoformat
    region = shop.country
    lines = (
        _line_aggregates(
            session, shop, in_range if wanted is None else (*in_range, wanted), "order.lines" in used
        )
        if want_lines
        else {}
    )

    money = [(fact, at[name]) for name, fact in _PLAIN_COLUMNS if fact in used and name in _MONEY]
    texts = [(fact, at[name]) for name, fact in _PLAIN_COLUMNS if fact in used and name not in _MONEY]
    cancelled = OrderStatus.cancelled.value
    counts_get, spent_get, cancels_get = counts.get, spent.get, cancels.get
    n = s = c = 0
    count = revenue = 0
    facts: dict[str, Any] = {}
    metrics: tuple[int, ...] = ()  # the customer's as ``CustomerMetrics`` lists them, for the segment
    kept = _Kept()
    raw_of = row_getter([at[name] for name in profile.read]) if profile and profile.read else None
    # The currency's place in the row; 1 (the total) when it is not read.
    currency_at = at["currency"] if profile is not None and profile.reads_order else 1
    report = tally.progress
    for r in stream_once(session, stmt):
        cid, total, order_id = r[0], r[1], r[2]
        count += 1
        revenue += total
        if report is not None and not count % PROGRESS_EVERY:
            report(count)
        if want_history:
            if cid is None:
                n = s = c = 0
            else:
                n = counts_get(cid, 0)
                counts[cid] = n + 1
                if want_status:
                    s, c = spent_get(cid, 0), cancels_get(cid, 0)
                    if r[3] != cancelled:
                        spent[cid] = s + total
                    else:
                        cancels[cid] = c + 1
            if order_id is None:
                continue
        when = None  # the order's time in naive UTC
        if want_placed:
            placed = r[placed_at]
            # SQLite's UTC text as UTCDateTime writes it (26 characters, no zone) is parsed directly:
            # the commonest case, on every order of the range; anything else goes the careful way.
            when = (
                fromisoformat(placed) if placed.__class__ is str and len(placed) == 26 else naive_utc(placed)
            )
        if want_history:
            if show_history:
                facts["customer.orders_count"] = n
                facts["order.is_first_order"] = n == 0
                if want_status:
                    facts["customer.total_spent"] = s / scale
                    facts["customer.cancellations"] = c
            if recorded is not None:
                if cid in with_events:
                    m = recorded.metrics(cid, when, order_id, CustomerMetrics(orders_count=n, total_spent=s))
                    if show_recorded:
                        facts["customer.refunds_count"] = m.refunds_count
                        facts["customer.refund_ratio"] = m.refund_ratio
                        facts["customer.return_ratio"] = m.return_ratio
                        facts["customer.chargebacks"] = m.chargebacks
                    if want_metrics:
                        metrics = (
                            n,
                            s,
                            m.refunds_count,
                            m.refunded_amount,
                            m.items_bought,
                            m.items_returned,
                            c,
                            m.chargebacks,
                        )
                else:  # most customers: nothing refunded, returned or disputed
                    if show_recorded:
                        facts.update(_NOTHING_RECORDED)
                    if want_metrics:
                        metrics = (n, s, 0, 0, 0, 0, c, 0)
        if account_of is not None:
            account = account_of(cid) if cid is not None else None
            if account is None:
                age, disabled, platform = None, False, None
            else:
                created, disabled, platform = account
                assert when is not None  # read with the account
                age = round(max((when - created).total_seconds() / 86400, 0.0), 3) if created else None
            facts["customer.account_age_days"] = age
            facts["customer.is_disabled"] = disabled
            facts["customer.platform_account_state"] = platform
        if want_lookup:
            facts["order.ip_country"] = country_of_ip(r[at["browser_ip"]])
            facts["phone.country"] = phone_country(r[at["phone"]], region)
        if money:
            for name, i in money:
                facts[name] = r[i] / scale  # as _sql_facts says: the pushdown relies on it
        if texts:
            for name, i in texts:
                facts[name] = r[i]
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
        if want_checkout:
            facts.update(_checkout_row(r, at, cid, total, shop.currency, time_zone, scale))
        if want_lines:
            facts.update(lines.get(order_id) or _EMPTY_LINES)
        if profile is not None:
            # The profile facts are worked out column by column once every order is read.
            kept.add(order_id, cid, total, raw_of(r) if raw_of else (), r[currency_at], when, metrics, facts)
            if len(kept.order_ids) == PROFILE_CHUNK:
                yield from kept.with_profile(profile) if with_facts else kept.decide(profile, rules)
                kept = _Kept()
            continue
        yield order_id, cid, total, facts
    if counting:
        tally.orders, tally.revenue = count, revenue
    if profile is not None:
        yield from kept.with_profile(profile) if with_facts else kept.decide(profile, rules)


@dataclass(slots=True)
class _Kept:
    """The orders a profile rule may fire on, as columns: what ``Profiles.fact_columns`` reads."""

    order_ids: list[int] = field(default_factory=list)
    customers: list[int | None] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    raws: list[tuple[Any, ...]] = field(default_factory=list)
    currencies: list[Any] = field(default_factory=list)
    placed: list[Any] = field(default_factory=list)
    metrics: list[tuple[int, ...]] = field(default_factory=list)
    # Each order's other facts (its own columns, history, lines), when the rules read any.
    others: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        order_id: int,
        cid: int | None,
        total: int,
        raw: tuple[Any, ...],
        currency: Any,
        placed: datetime | None,
        metrics: tuple[int, ...],
        facts: dict[str, Any],
    ) -> None:
        self.order_ids.append(order_id)
        self.customers.append(cid)
        self.totals.append(total)
        self.raws.append(raw)
        self.currencies.append(currency)
        self.placed.append(placed)
        self.metrics.append(metrics)
        if facts:
            self.others.append(dict(facts))

    def with_profile(self, profile: Profiles) -> Iterator[tuple[int, int | None, int, dict[str, Any]]]:
        """Yield each kept order with its facts: its own, then the profile's from their columns."""
        columns = profile.fact_columns(
            self.order_ids, self.customers, self.totals, self.raws, self.currencies, self.placed, self.metrics
        )
        if profile.want_segment:
            columns["customer.segment"] = profile.segments(range(len(self.order_ids)))
        others, signals = self.others, profile.signals if profile.codes else None
        facts: dict[str, Any] = {}  # one dict for every order when the rules read only profile facts
        for i, (order_id, cid, total) in enumerate(
            zip(self.order_ids, self.customers, self.totals, strict=True)
        ):
            if others:
                facts = others[i]
            for name, column in columns.items():
                facts[name] = column[i]
            if signals is not None:
                signals(facts, i, cid, total)
            yield order_id, cid, total, facts

    def decide(
        self, profile: Profiles, rules: list[CompiledRule]
    ) -> Iterator[tuple[int, int | None, int, int]]:
        """Yield each kept order a rule stops, with the strongest stopping action's strength.

        The rules run column by column (``rules.columns``): each part of a rule reads its facts only
        on the orders its earlier parts left undecided, and a weaker rule only on the orders no
        stronger one stopped. The signals are checked per order, on the orders that reach them.
        """
        columns = profile.fact_columns(
            self.order_ids, self.customers, self.totals, self.raws, self.currencies, self.placed, self.metrics
        )
        others, n = self.others, len(self.order_ids)
        with_signals: dict[int, dict[str, Any]] = {}

        def signals_of(i: int) -> dict[str, Any]:
            facts = with_signals.get(i)
            if facts is None:
                facts = with_signals[i] = dict(others[i]) if others else {}
                for name, column in columns.items():
                    facts[name] = column[i]
                profile.signals(facts, i, self.customers[i], self.totals[i])
            return facts

        def fact(name: str, rows: Sequence[int]) -> Sequence[Any]:
            """A fact other than a signal on these orders (what a signal's check reads)."""
            values = columns.get(name)
            if values is not None:
                return values if len(rows) == n else [values[i] for i in rows]  # all rows, or some
            if name in SEGMENT_FACTS and profile.want_segment:
                return profile.segments(rows)
            return [others[i].get(name) for i in rows] if others else [None] * len(rows)

        # Two functions, not one calling itself: a function that refers to itself is a reference
        # cycle, which kept the chunk's columns and the whole profile alive until a cycle collection
        # walked them all (most of a second per million orders).
        def column(name: str, rows: Sequence[int]) -> Sequence[Any]:
            if name in SIGNAL_FACTS:
                signal = profile.signal_column(name, rows, fact)
                return signal if signal is not None else [signals_of(i).get(name) for i in rows]
            return fact(name, rows)

        best: dict[int, int] = {}
        undecided: list[int] = list(range(n))
        for rule, strength in sorted(
            ((r, STRENGTH[Outcome(r.action)]) for r in rules), key=lambda rs: -rs[1]
        ):
            if not undecided:
                break
            fired = firing_rows(rule, undecided, column, dear=SEGMENT_FACTS)
            for i in fired:
                best[i] = strength
            if fired:
                undecided = [i for i in undecided if i not in best]
        order_ids, customers, totals = self.order_ids, self.customers, self.totals
        for i in sorted(best):
            yield order_ids[i], customers[i], totals[i], best[i]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _checkout_row(
    r: Any, at: dict[str, int], cid: int | None, total: int, currency: str, time_zone: str | None, scale: int
) -> dict[str, Any]:
    """The checkout facts of one order row, computed by screening's own code (its lines come separately)."""
    order = OrderInput(
        shop_id=0,
        currency=currency,
        subtotal=0,
        shipping=r[at["shipping"]],
        total=total,
        lines=[],
        email=r[at["email"]],
        shipping_address=_json(r[at["shipping_address"]]),
        billing_address=_json(r[at["billing_address"]]),
        browser_ip=r[at["browser_ip"]],
        user_agent=r[at["user_agent"]],
        card_bin=r[at["card_bin"]],
        card_last4=r[at["card_last4"]],
        card_expiry=r[at["card_expiry"]],
        discount=r[at["discount"]] or 0,
        customer_id=cid,
        created_at=ensure_utc(r[at["created_at"]]),
        **checkout_fields(_json(r[at["checkout"]])),
    )
    return checkout_facts(order, time_zone, scale)


def _history_before(
    session: Session,
    shop_id: int,
    date_from: datetime,
    counts: dict[int, int],
    by_status: tuple[dict[int, int], dict[int, int]] | None,
    share: tuple[int, int] | None = None,
) -> None:
    """Count each customer's orders before the range (and what they spent unless cancelled, and cancellations).

    Summed here rather than grouped in SQL: SQLite would walk the customer index and look up every
    order of the shop, where this reads the shop's (shop, time) index alone. ``share`` counts only
    its customers' orders (``_in_share``).
    """
    o = Order.__table__.c
    stmt = select(o.customer_id, o.total, o.status).where(o.shop_id == shop_id, o.created_at < date_from)
    if share is not None:
        stmt = stmt.where(_in_share(share))
    cancelled = OrderStatus.cancelled.value
    spent, cancels = by_status if by_status is not None else ({}, {})
    counts_get, spent_get, cancels_get = counts.get, spent.get, cancels.get
    for cid, total, status in stream_once(session, stmt):
        if cid is None:
            continue
        counts[cid] = counts_get(cid, 0) + 1
        if by_status is not None:
            if status != cancelled:
                spent[cid] = spent_get(cid, 0) + total
            else:
                cancels[cid] = cancels_get(cid, 0) + 1


def _sql_facts(scale: int) -> dict[str, SqlFact]:
    """The facts the database can read from an order's own columns, valued as ``_columnar`` values them."""
    o = Order.__table__.c
    facts = {
        fact: SqlFact(o[name], lambda minor: minor / scale) for name, fact in _PLAIN_COLUMNS if name in _MONEY
    }
    facts.update({fact: SqlFact(o[name]) for name, fact in _PLAIN_COLUMNS if name not in _MONEY})
    return facts


def _count(session: Session, in_range: tuple[Any, ...]) -> tuple[int, int]:
    """Return how many orders the range holds and their revenue."""
    o = Order.__table__.c
    n, revenue = session.execute(select(func.count(), func.sum(o.total)).where(*in_range)).one()
    return int(n), int(revenue or 0)


# Order columns read as they are: (column, fact).
_PLAIN_COLUMNS = (
    ("total", "order.total"),
    ("subtotal", "order.subtotal"),
    ("shipping", "order.shipping"),
    ("currency", "order.currency"),
    ("source", "order.source"),
)
_MONEY = {"total", "subtotal", "shipping"}


_NOTHING_RECORDED = {
    "customer.refunds_count": 0,
    "customer.refund_ratio": 0.0,
    "customer.return_ratio": 0.0,
    "customer.chargebacks": 0,
}
_EMPTY_LINES: dict[str, Any] = {
    "order.item_count": 0,
    "order.line_count": 0,
    "order.has_high_value": False,
    "order.has_limited_edition": False,
    "order.categories": [],
    "order.tags": [],
    "order.max_variants_of_one_product": 0,
    "order.max_line_price": 0.0,
    "order.quantity_total": 0,
    "order.lines": (),
}


def _line_aggregates(
    session: Session, shop: Shop, in_range: tuple[Any, ...], each_line: bool = False
) -> dict[int, dict[str, Any]]:
    """Each order's line facts; with ``each_line`` also every line's own facts (``order.lines``)."""
    stmt = (
        select(
            LineItem.order_id,
            LineItem.product_id,
            LineItem.sku,
            LineItem.quantity,
            LineItem.unit_price,
            LineItem.variant,
            Product.category,
            Product.tags,
            Product.high_value,
            Product.limited_edition,
            LineItem.title,
            # Decoded only when a rule reads each line: the aggregates never need them.
            LineItem.properties if each_line else null(),
        )
        .join(Order, Order.id == LineItem.order_id)
        .outerjoin(Product, Product.id == LineItem.product_id)
        .where(*in_range)
        .order_by(LineItem.id)  # the lines in the order screening reads them
    )
    acc: dict[int, dict[str, Any]] = {}
    variants: dict[int, dict[Any, set[str]]] = defaultdict(lambda: defaultdict(set))
    scale = 10 ** exponent(shop.currency)
    for oid, pid, sku, qty, price, variant, category, tags, high, limited, title, props in session.execute(
        stmt
    ):
        a = acc.get(oid)
        if a is None:
            a = acc[oid] = {**_EMPTY_LINES, "order.categories": set(), "order.tags": set(), "order.lines": []}
        if each_line:
            a["order.lines"].append(
                line_facts(
                    sku,
                    title,
                    qty,
                    price,
                    category,
                    _json(tags),
                    _json(variant),
                    high,
                    limited,
                    scale,
                    _json(props),
                )
            )
        a["order.item_count"] += qty
        a["order.quantity_total"] += qty
        a["order.max_line_price"] = max(a["order.max_line_price"], price / scale)
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
        a["order.lines"] = tuple(a["order.lines"])
        a["order.categories"] = sorted(a["order.categories"])
        a["order.tags"] = sorted(a["order.tags"])
        a["order.max_variants_of_one_product"] = max(len(v) for v in variants[oid].values())
    return acc


def _full(
    session: Session, shop: Shop, date_from: datetime, date_to: datetime, tally: _Tally
) -> Iterator[tuple[int, int | None, int, dict[str, Any]]]:
    """Yield each order with every fact, built by ``screen()`` as of the order's time (clock and history)."""

    o = Order
    stmt = (
        select(o)
        .where(o.shop_id == shop.id, o.created_at >= date_from, o.created_at < date_to)
        .order_by(o.created_at, o.id)
    )
    # Screening with no saved rules: only the facts are wanted here, the drafts are evaluated after.
    empty = ActiveRuleset(policy_version=0, rules=())
    for order in session.scalars(stmt):
        tally.orders += 1
        tally.revenue += order.total
        if tally.progress is not None and not tally.orders % PROGRESS_EVERY:
            tally.progress(tally.orders)
        with frozen(order.created_at):
            facts = screen(session, order, ruleset=empty, history_as_placed=True).facts
        yield order.id, order.customer_id, order.total, facts
