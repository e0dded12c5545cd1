"""The backtest's profile facts, read once per shop: risk, links, segment, velocity and signals.

Full screening looks each of these up per order: the customer's risk as last stored, the link
clusters and list entries as they stand now, velocity events strictly before the order, and the
signals over the order's facts. Here each source is read once (risk by customer, link clusters and
the identifiers that can lead to a blocked customer, velocity events by key, sorted by time), and
the orders are worked out a chunk at a time, each fact the rules use as one list over the chunk's
orders (``fact_columns``), with screening's own functions (``identifiers_of_order``,
``segment_for``, the signal checks). A fact no rule reads is not worked out, only the identifier
types the read facts need are derived (from only the columns they are read from), each distinct
identity is worked out once, and the segment and signals are placed on the orders that ask for them.
An order whose link cluster holds a blocked customer, or whose customer has a list entry of their
own, needs the list match's paths, scopes and overrides: the match screening runs answers it, once
per customer and keys when no entry's scope or expiry can tell two orders apart (once per customer,
keys and lines when only a scope on the lines can).
"""

from __future__ import annotations

import contextlib
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.core.money import exponent
from storeguard.core.prepared import stream_once
from storeguard.customers.identifiers import identifiers_of_order, order_match_keys
from storeguard.customers.models import Customer, Identifier
from storeguard.lists.enums import EntryAction, EntryKind, EntryStatus
from storeguard.lists.matching import match
from storeguard.lists.models import ListEntry
from storeguard.orders.models import LineItem, Order
from storeguard.risk.enums import FindingType
from storeguard.risk.models import CustomerRisk
from storeguard.screening.backtest_history import naive_utc, raw_time
from storeguard.screening.engine import VELOCITY_OF_TYPE, list_blocks, scope_lines, velocity_keys
from storeguard.screening.inputs import LineInput, _product_line
from storeguard.screening.models import VelocityEvent
from storeguard.screening.policy import (
    SIGNAL_CODES,
    VELOCITY_KINDS,
    WINDOWS,
    CustomerMetrics,
    orders_counted,
    segment_for,
    segment_key,
)
from storeguard.screening.reads import ProductRow, ShopContext, shop_context
from storeguard.screening.signals import SignalContext, signal_checks
from storeguard.screening.velocity import digest
from storeguard.shops.models import Product, Shop

RISK_FACTS = frozenset(
    {"customer.risk_score", "customer.findings"} | {f"customer.finding_{t.value}" for t in FindingType}
)
LINKED_FACTS = frozenset({"linked.customers", "linked.blocked_customers"})
SEGMENT_FACTS = frozenset({"customer.segment"})
SIGNAL_FACTS = frozenset(f"signals.{code}" for code in SIGNAL_CODES)
VELOCITY_FACTS = frozenset(
    f"velocity.{what}_per_{kind}_{window}"
    for what in ("orders", "amount")
    for kind in VELOCITY_KINDS
    for window in WINDOWS
)
PROFILE_FACTS = RISK_FACTS | LINKED_FACTS | SEGMENT_FACTS | SIGNAL_FACTS | VELOCITY_FACTS

# The columnar facts a profile fact is worked out from: the customer's history for the segment,
# and what the signal checks read.
_METRIC_FACTS = frozenset(
    {
        "customer.orders_count",
        "customer.total_spent",
        "customer.cancellations",
        "customer.refunds_count",
        "customer.refund_ratio",
        "customer.return_ratio",
        "customer.chargebacks",
    }
)
# What each signal's check reads (``signals.CHECKS``), beyond the link and shared-address counts.
_SIGNAL_NEEDS = {
    "country_mismatch": {"order.billing_country", "order.shipping_country"},
    "ip_country_mismatch": {"order.ip_country", "order.billing_country", "order.shipping_country"},
    "disposable_email": {"email.is_disposable", "email.domain"},
    "first_order_high_value": {
        "order.is_first_order",
        "order.total",
        "order.currency",
        "order.has_high_value",
    },
    "many_variants_of_one_product": {"order.max_variants_of_one_product"},
    "shared_shipping_address": set(),
    "linked_to_blocked": {"linked.blocked_customers"},
    "high_return_ratio": {"customer.orders_count", "customer.return_ratio"},
    "high_refund_ratio": {"customer.orders_count", "customer.refund_ratio", "customer.refunds_count"},
    "has_chargebacks": {"customer.chargebacks"},
    "many_cancellations": {"customer.cancellations"},
}
assert tuple(_SIGNAL_NEEDS) == SIGNAL_CODES
# The checks that read the order's own context (``SignalContext``): the first-order amount, the total, the address.
_CONTEXT_CODES = frozenset({"first_order_high_value", "shared_shipping_address"})
# The order's columns its identifiers are read from (``identifiers_of_order``).
_IDENTITY_COLUMNS = (
    "email",
    "phone",
    "shipping_address",
    "billing_address",
    "browser_ip",
    "user_agent",
    "device_id",
    "payment_fingerprint",
    "card_bin",
    "card_last4",
    "card_expiry",
)
_SPANS = [(w, timedelta(seconds=s)) for w, s in WINDOWS.items()]
_NAMES = {
    kind: [(f"velocity.orders_per_{kind}_{w}", f"velocity.amount_per_{kind}_{w}", span) for w, span in _SPANS]
    for kind in VELOCITY_KINDS
}
_NO_VELOCITY = {
    name: zero for k in VELOCITY_KINDS for o, a, _ in _NAMES[k] for name, zero in ((o, 0), (a, 0.0))
}
_NO_FINDINGS = {f"customer.finding_{t.value}": False for t in FindingType}


def with_needs(used: set[str], *, segment: bool = True) -> set[str]:
    """Return ``used`` with the columnar facts its profile facts are worked out from.

    ``segment=False`` leaves out the customer's history the segment is placed by: it is handed to
    ``fact_columns`` as metrics, never read as facts, so a rule that reads only the segment sets none.
    """
    out = set(used)
    if segment and used & SEGMENT_FACTS:
        out |= _METRIC_FACTS
    for code, needs in _SIGNAL_NEEDS.items():
        if f"signals.{code}" in used:
            out |= needs
    return out


class Profiles:
    """What the profile facts need, read once for the shop; ``add`` answers one order."""

    def __init__(self, session: Session, shop: Shop, used: set[str], date_from: datetime, date_to: datetime):
        self.session = session
        self.used = frozenset(used)
        self.date_from, self.date_to = date_from, date_to
        self.want_risk_facts = bool(used & RISK_FACTS)
        self.want_risk = self.want_risk_facts or bool(used & SEGMENT_FACTS)
        self.want_velocity = bool(used & VELOCITY_FACTS)
        # Only the velocity facts the rules read are counted: each kind's windows, orders or amount.
        self.windows = {
            kind: [
                (o if o in used else None, a if a in used else None, span)
                for o, a, span in _NAMES[kind]
                if o in used or a in used
            ]
            for kind in VELOCITY_KINDS
        }
        self.counting = frozenset(kind for kind, windows in self.windows.items() if windows)
        self.no_velocity = {name: zero for name, zero in _NO_VELOCITY.items() if name in used}
        # Only the signals the rules read are evaluated: each is a pure function of the facts.
        self.codes = tuple(code for code in SIGNAL_CODES if f"signals.{code}" in used)
        # Only the first-order and shared-address checks read the context (``signals.CHECKS``):
        # for the others one context serves every order.
        self.order_context = bool(_CONTEXT_CODES & set(self.codes))
        self.no_context = SignalContext(first_order_amount=0, total_minor=0)
        # The segment of each place (``segment_key``, blocked, linked to a blocked customer, vip's least spend).
        self.places: dict[tuple[Any, ...], str] = {}
        # What a row of identity columns says, for every customer with it.
        self.by_columns: dict[tuple[Any, ...], _Identity] = {}
        # The identifier types to look for in a row, by which of its identity columns are filled.
        self.kinds_of_filled: dict[tuple[bool, ...], frozenset[str]] = {}
        self.first_amounts: dict[str, int] = {}
        self.vips: dict[str, int] = {}  # the vip segment's least spend, in each currency
        # Every returning identity of the range is remembered for this backtest (a bounded cache
        # shared by all backtests would forget the earliest of a large shop's customers).
        self.identities: dict[tuple[tuple[Any, ...], int | None], _Identity] = {}
        self.last_of_customer: dict[int, tuple[tuple[Any, ...], _Identity]] = {}  # their last order's
        self.match_keys: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}
        self.order_identities: list[_Identity] = []
        self.want_segment = bool(used & SEGMENT_FACTS)
        self.want_links = bool(used & (LINKED_FACTS | SEGMENT_FACTS)) or "linked_to_blocked" in self.codes
        self.want_addresses = "shared_shipping_address" in self.codes
        self.counts_links = "linked.customers" in used
        self.reads_order = self.want_velocity or self.want_links or self.want_addresses
        context = shop_context(session, shop.id)
        assert context is not None  # the shop was read by the caller
        self.shop: ShopContext = context
        self.region = context.country
        self.checks = signal_checks(context.screening, self.codes)
        # The identifier types the facts read: each counted kind's, the linking ones, the shipping address.
        self.kinds = frozenset(
            {t for t, kind in VELOCITY_OF_TYPE.items() if kind in self.counting}
            | (set(context.link_kinds) if self.want_links else set())
            | ({"shipping_address"} if self.want_addresses else set())
        )
        # The order columns the scan reads: those the identifier types are read from, and the currency.
        # An order a list entry can reach has its every identity column read by itself (``_match_keys``).
        needed = set().union(*(_TYPE_COLUMNS.get(t, ()) for t in self.kinds))
        self.read = tuple(c for c in _IDENTITY_COLUMNS if c in needed) if self.reads_order else ()
        self.columns = (*self.read, "currency") if self.reads_order else ()
        self.risk = _risk(session, shop.id) if self.want_risk else {}
        if self.want_links:
            self._read_links(shop.id)
        if self.want_addresses:
            self.addresses = _address_holders(session, shop.id)
        if self.want_velocity:
            self._read_velocity(shop.id, date_from, date_to)

    # --- reads, once per backtest ------------------------------------------------------------

    def _match_keys(self, order_ids: list[int]) -> dict[int, tuple[tuple[str, str], ...]]:
        """The list match's keys of these orders (``order_match_keys``), every kind: read and worked
        out only for the few orders a list entry can reach, once per distinct row of identity columns."""
        o = Order.__table__.c
        out: dict[int, tuple[tuple[str, str], ...]] = {}
        known = self.match_keys
        for start in range(0, len(order_ids), _CHUNK):
            stmt = select(o.id, *(scan_column(c) for c in _IDENTITY_COLUMNS)).where(
                o.id.in_(order_ids[start : start + _CHUNK])
            )
            for order_id, *raw in self.session.execute(stmt):
                row = tuple(raw)
                keys = known.get(row)
                if keys is None:
                    keys = known[row] = _match_keys(row, _IDENTITY_COLUMNS, self.region)
                out[order_id] = keys
        return out

    def _read_links(self, shop_id: int) -> None:
        session, kinds = self.session, self.shop.link_kinds
        c, i, e = Customer.__table__.c, Identifier.__table__.c, ListEntry.__table__.c
        self.cluster_of: dict[int, int] = {}
        self.in_cluster: dict[int, set[int]] = {}
        active = (e.shop_id == shop_id, e.status == EntryStatus.active.value)
        # The customers whose own entries decide whether the order's customer is blocked, and the
        # customers a linked block can come from (a superset: expiry, scope and paths are the match's).
        self.with_entry: set[int] = set()
        self.blocked: set[int] = set()
        block, blocks = EntryKind.block.value, (EntryAction.block.value, None)
        own = select(e.value, e.kind, e.action).where(*active, e.type == "customer")
        for value, kind, action in stream_once(session, own):
            if value.isdigit():
                self.with_entry.add(int(value))
                if kind == block and action in blocks:
                    self.blocked.add(int(value))
        blocking = (
            *active,
            e.kind == EntryKind.block.value,
            or_(e.action == EntryAction.block.value, e.action.is_(None)),
        )
        on_identifiers = select(i.customer_id).join(
            ListEntry, (e.shop_id == i.shop_id) & (e.type == i.type) & (e.value == i.value)
        )
        self.blocked.update(
            cid for (cid,) in stream_once(session, on_identifiers.where(i.shop_id == shop_id, *blocking))
        )
        # An entry still live at the range's start can expire within it: then no match is remembered.
        expiring = select(e.id).where(*active, e.expires_at.is_not(None), e.expires_at > self.date_from)
        self.expiring = session.execute(expiring.limit(1)).first() is not None
        self.matched: dict[tuple[int | None, tuple[tuple[str, str], ...]], tuple[bool, int, int]] = {}
        # The same, for customers an entry scoped to some lines reaches: the order's lines are part of the key.
        self.matched_lines: dict[tuple[Any, ...], tuple[bool, int, int]] = {}
        self.holders: dict[tuple[str, str], list[int]] = {}
        if self.counts_links:
            # Every holder: how many customers an order links to is a fact the rules read. A kind no
            # order of the range can carry is never looked up (kinds not in _KIND_COLUMNS are kept).
            self._read_clusters(select(c.id, c.cluster_id).where(c.shop_id == shop_id))
            filled = self._filled(shop_id)
            kinds = sorted(k for k in kinds if k not in _KIND_COLUMNS or _KIND_COLUMNS[k] & filled)
            stmt = _holders_statement(shop_id, kinds)
            rows = stream_once(session, stmt) if kinds else ()  # a shop may link on nothing
            for type_, value, cid in rows:
                self.holders.setdefault((type_, value), []).append(cid)
            return
        # Otherwise only whether a blocked customer is among them: the holders that can lead to one
        # are the customers whose link cluster holds a blocked customer (or who are one), so only
        # their keys are read; a key no such customer holds leads to no blocked customer.
        blocked = sorted(self.blocked)
        for start in range(0, len(blocked), _CHUNK):
            self._read_clusters(select(c.id, c.cluster_id).where(c.id.in_(blocked[start : start + _CHUNK])))
        clusters = sorted({self.cluster_of.get(b, b) for b in blocked} | self.blocked)
        for start in range(0, len(clusters), _CHUNK):
            of_clusters = c.cluster_id.in_(clusters[start : start + _CHUNK])
            self._read_clusters(select(c.id, c.cluster_id).where(c.shop_id == shop_id, of_clusters))
        self.reach_blocked = self.blocked | self.cluster_of.keys()
        reach, kinds = sorted(self.reach_blocked), sorted(kinds)
        stmt = _holders_statement(shop_id, kinds)
        for start in range(0, len(reach) if kinds else 0, _CHUNK):
            chunk = stmt.where(i.customer_id.in_(reach[start : start + _CHUNK]))
            for type_, value, cid in session.execute(chunk):
                self.holders.setdefault((type_, value), []).append(cid)

    def _read_clusters(self, stmt: Select[Any]) -> None:
        """Note the link cluster of each customer ``stmt`` reads (their id and cluster id)."""
        for cid, cluster in self.session.execute(stmt):
            self.cluster_of[cid] = cluster if cluster is not None else cid
            if cluster is not None:
                self.in_cluster.setdefault(cluster, set()).add(cid)

    def _filled(self, shop_id: int) -> frozenset[str]:
        """The identity columns some order of the range fills (the others add no identifier)."""
        o = Order.__table__.c
        stmt = select(*(func.count(o[c]) for c in _IDENTITY_COLUMNS)).where(
            o.shop_id == shop_id, o.created_at >= self.date_from, o.created_at < self.date_to
        )
        row = self.session.execute(stmt).one()
        return frozenset(c for c, filled in zip(_IDENTITY_COLUMNS, row, strict=True) if filled)

    def _read_velocity(self, shop_id: int, date_from: datetime, date_to: datetime) -> None:
        v = VelocityEvent.__table__.c
        # Only the kinds the rules count, as far back as their longest window reaches (screening
        # counts an event under its own kind).
        kinds = sorted(kind for kind, windows in self.windows.items() if windows)
        longest = max(span for windows in self.windows.values() for *_, span in windows)
        stmt = (
            select(v.key, raw_time(v.at), v.order_id, v.amount)
            .where(
                v.shop_id == shop_id,
                or_(*(v.kind == k for k in kinds)),
                v.at > date_from - longest,
                v.at < date_to,
            )
            .order_by(v.key, v.at)
        )
        # Each key's times, running sums and the orders the events were counted for, looked up once
        # per identity rather than once per order. The events come key by key, in time order.
        counters: dict[str, tuple[list[datetime], list[int], list[int | None]]] = {}
        fromisoformat = datetime.fromisoformat
        current = None
        times: list[datetime] = []
        sums: list[int] = []
        orders: list[int | None] = []
        total = 0
        for key, at, order_id, amount in stream_once(self.session, stmt):
            if key != current:
                current, times, sums, orders, total = key, [], [0], [], 0
                counters[key] = (times, sums, orders)
            # SQLite's UTC text as UTCDateTime writes it is parsed directly; anything else the careful way.
            times.append(fromisoformat(at) if at.__class__ is str and len(at) == 26 else naive_utc(at))
            total += amount
            sums.append(total)
            orders.append(order_id)
        self.counters = counters

    # --- one order ---------------------------------------------------------------------------

    def fact_columns(
        self,
        order_ids: list[int],
        customers: list[int | None],
        totals: list[int],
        raws: list[tuple[Any, ...]],
        currencies: list[str],
        placed: list[datetime],
        metrics: list[tuple[int, ...]],
    ) -> dict[str, list[Any]]:
        """Each profile fact the rules read (signals aside, see ``signals``), one list over the orders.

        The lists hold, in order, the orders whose ``order_ids`` and customers are given, with their
        totals (minor units), identity columns (``columns`` less the currency), currencies, times
        (naive UTC) and, for the segment, their customers' metrics (as ``CustomerMetrics`` lists its fields).
        """
        n = len(order_ids)
        out: dict[str, list[Any]] = {}
        used = self.used
        if self.want_risk_facts:
            risk_get = self.risk.get
            risks = [risk_get(cid) for cid in customers]  # a guest (None) has no risk
            if "customer.risk_score" in used:
                out["customer.risk_score"] = [r[0] if r is not None else 0 for r in risks]
            if "customer.findings" in used:
                out["customer.findings"] = [list(r[2]) if r is not None else [] for r in risks]
            for name in _NO_FINDINGS:
                if name in used:
                    kind = name.removeprefix("customer.finding_")
                    out[name] = [r is not None and kind in r[2] for r in risks]
        identities: list[_Identity] = []
        if self.reads_order:
            # One lookup per order: its identity columns and customer, which also say where its links lead.
            known, identity_of, last = self.identities, self._identity, self.last_of_customer
            remembered = len(known)
            append = identities.append
            for key in zip(raws, customers, strict=True):
                raw, cid = key
                # A customer's orders mostly carry the same columns: comparing them with the last
                # order's is cheaper than hashing them to look the identity up.
                if cid is not None:
                    seen = last.get(cid)
                    if seen is not None and seen[0] == raw:
                        append(seen[1])
                        continue
                try:
                    identity = known.get(key)
                except TypeError:  # an address the driver gave as a dict: worked out without the memory
                    identity = identity_of(raw, cid)
                else:
                    if identity is None:
                        identity = identity_of(raw, cid)
                        if remembered < _REMEMBERED:
                            known[key] = identity
                            remembered += 1
                if cid is not None:
                    last[cid] = (raw, identity)
                append(identity)
        self.order_identities = identities  # the shared-address signal reads them
        if self.want_velocity:
            self._velocity_columns(out, n, identities, order_ids, totals, currencies, placed)
        if self.want_links:
            self._link_columns(out, identities, order_ids, customers, totals, currencies, placed, metrics)
        return {name: column for name, column in out.items() if name in used}

    def _velocity_columns(
        self,
        out: dict[str, list[Any]],
        n: int,
        identities: list[_Identity],
        order_ids: list[int],
        totals: list[int],
        currencies: list[str],
        placed: list[datetime],
    ) -> None:
        """Orders and amounts per identifier in each window strictly before the order (``SqlVelocity``'s count).

        An order with no identifier of a kind keeps its zeros: nothing is counted under no key.
        """
        for name, zero in self.no_velocity.items():
            out[name] = [zero] * n
        # Each kind's windows as the lists they fill: (orders, amounts, span), a list None when not read.
        windows = {
            kind: [
                (out[o] if o is not None else None, out[a] if a is not None else None, span)
                for o, a, span in spans
            ]
            for kind, spans in self.windows.items()
            if spans
        }
        # The orders of each identity together: its keys, counters and windows are looked up once.
        by_identity: dict[_Identity, list[int]] = {}
        for i, identity in enumerate(identities):
            if identity.counted:
                rows = by_identity.get(identity)
                if rows is None:
                    by_identity[identity] = [i]
                else:
                    rows.append(i)
        scale_of = {currency: 10 ** exponent(currency) for currency in set(currencies)}
        for identity, rows in by_identity.items():
            for kind, _, _, counter in identity.counted:
                for orders, amounts, span in windows[kind]:
                    if counter is None:  # nothing counted under the key: every window holds the order alone
                        for i in rows:
                            if orders is not None:
                                orders[i] = 1
                            if amounts is not None:
                                amounts[i] = totals[i] / scale_of[currencies[i]]
                        continue
                    times, sums, counted_for = counter
                    for i in rows:
                        when = placed[i]
                        start = when - span
                        lo, hi = bisect_right(times, start), bisect_left(times, when)
                        count, amount = hi - lo, sums[hi] - sums[lo]
                        # The order itself is never its own velocity: an event counted for it
                        # within the window is taken out (it is usually at the order's own time).
                        order_id = order_ids[i]
                        if order_id in counted_for[lo:hi]:
                            for j in range(lo, hi):
                                if counted_for[j] == order_id:
                                    count -= 1
                                    amount -= sums[j + 1] - sums[j]
                        if orders is not None:
                            orders[i] = count + 1
                        if amounts is not None:
                            amounts[i] = (amount + totals[i]) / scale_of[currencies[i]]

    def _link_columns(
        self,
        out: dict[str, list[Any]],
        identities: list[_Identity],
        order_ids: list[int],
        customers: list[int | None],
        totals: list[int],
        currencies: list[str],
        placed: list[datetime],
        metrics: list[tuple[int, ...]],
    ) -> None:
        """The facts read from the order's links and lists: linked customers, blocked ones, the segment.

        How many customers an order's links reach, and whether a list entry can reach it at all, is
        worked out once per identity and customer; only the orders an entry can reach are matched.
        """
        n = len(identities)
        linked_column = [identity.linked for identity in identities] if self.counts_links else [0] * n
        blocked_column = [0] * n
        blocked_self: set[int] = set()  # the orders whose customer the lists block
        touched = [i for i, identity in enumerate(identities) if identity.touched]
        keys = self._match_keys([order_ids[i] for i in touched])
        # The lines of the orders whose answer is not known from an earlier order, read together.
        lines = _lines_of(
            self.session,
            [order_ids[i] for i in touched if (customers[i], keys[order_ids[i]]) not in self.matched],
        )
        for i in touched:
            as_placed = placed[i].replace(tzinfo=UTC)
            blocks_self, blocked_column[i], linked_column[i] = self._matched(
                customers[i], keys[order_ids[i]], lines.get(order_ids[i], ()), totals[i], as_placed
            )
            if blocks_self:
                blocked_self.add(i)
        out["linked.customers"], out["linked.blocked_customers"] = linked_column, blocked_column
        # The segment is placed on the orders that ask for it (``segments``), from these.
        self.placing = (customers, currencies, metrics, blocked_column, blocked_self)

    def segments(self, rows: Iterable[int]) -> list[str]:
        """The segment of each of these orders of the last ``fact_columns`` (their indexes): risk's once
        the customer is assessed (unless the lists block them, as screening places them), else placed
        by their metrics; customers in one place share one answer."""
        customers, currencies, metrics, blocked, blocked_self = self.placing
        risk_get, places, segments = self.risk.get, self.places, self.shop.screening["segments"]
        most, vips = orders_counted(segments), self.vips
        assessed = bool(self.risk)
        column: list[str] = []
        for i in rows:
            cid, currency, m = customers[i], currencies[i], metrics[i]
            is_blocked = i in blocked_self
            if assessed and not is_blocked:
                risk = risk_get(cid)
                if risk is not None:
                    column.append(risk[1])
                    continue
            vip = vips.get(currency)
            if vip is None:
                vip = vips[currency] = self.shop.amount(("segments", "vip", "min_spent"), currency)
            place = (segment_key(m, most, vip), is_blocked, blocked[i] > 0, vip)
            segment = places.get(place)
            if segment is None:
                segment = places[place] = segment_for(
                    CustomerMetrics(*m),
                    segments,
                    blocked=is_blocked,
                    min_spent_vip=vip,
                    linked_to_blocked=place[2],
                )
            column.append(segment)
        return column

    def _reach(self, identity: _Identity, cid: int | None) -> tuple[int, bool]:
        """How many other customers the order's links reach, and whether a list entry can reach the
        order: through the customer's own entry, or a blocked customer among those linked."""
        with_entry = cid is not None and cid in self.with_entry
        # Unless links are counted, only the customers who can lead to a blocked one were read: an
        # order none of whose keys they hold, of a customer not among them, reaches no blocked customer.
        if (
            not self.counts_links
            and not with_entry
            and cid not in self.reach_blocked
            and self.holders.keys().isdisjoint(identity.linking)
        ):
            return 0, False
        others = self._members(cid, identity.linking) - {cid}
        return len(others), with_entry or not others.isdisjoint(self.blocked)

    def signal_column(
        self, name: str, rows: Sequence[int], column: Callable[[str, Sequence[int]], Sequence[Any]]
    ) -> list[bool] | None:
        """A signal on these orders, its check given only the facts it reads (``column`` answers them),
        or None for a check that reads the order's own context (first order, shared address)."""
        code = name.removeprefix("signals.")
        if code in _CONTEXT_CODES or code not in self.codes:
            return None
        (check, params) = next((c, p) for n, c, p in self.checks if n == name)
        needs = sorted(_SIGNAL_NEEDS[code])
        context = self.no_context
        if not needs:
            return [check({}, params, context) is not None] * len(rows)
        # The check is a pure function of the facts it reads: orders whose facts are equal (and of
        # the same types: 1, 1.0 and True are equal keys) share its answer. Most orders read the
        # same few values (no chargebacks, no mismatch), so the check runs a handful of times.
        known: dict[tuple[Any, ...], bool] = {}
        out: list[bool] = []
        append = out.append
        for values in zip(*(column(need, rows) for need in needs), strict=True):
            key = (values, tuple(v.__class__ for v in values))
            try:
                fired = known.get(key)
            except TypeError:  # a list among them: not a key, asked as it is
                append(check(dict(zip(needs, values, strict=True)), params, context) is not None)
                continue
            if fired is None:
                fired = known[key] = check(dict(zip(needs, values, strict=True)), params, context) is not None
            append(fired)
        return out

    def signals(self, facts: dict[str, Any], i: int, cid: int | None, total: int) -> None:
        """Set the signal facts the rules read in ``facts``, the ``i``-th order's (its other facts are there)."""
        if not self.order_context:
            context = self.no_context
            for name, check, params in self.checks:
                facts[name] = check(facts, params, context) is not None
            return
        shared = 0
        if self.want_addresses:
            address = self.order_identities[i].address
            holders = self.addresses.get(address, ()) if address is not None else ()
            shared = len(holders) - (cid in holders) if cid is not None else len(holders)
        # The threshold in the order's currency; only the first-order check reads it (and that currency).
        currency = facts.get("order.currency") or self.shop.currency
        first_amount = self.first_amounts.get(currency)
        if first_amount is None:
            first_amount = self.shop.amount(("signals", "first_order_high_value", "amount"), currency)
            self.first_amounts[currency] = first_amount
        context = SignalContext(first_order_amount=first_amount, total_minor=total, address_customers=shared)
        for name, check, params in self.checks:
            facts[name] = check(facts, params, context) is not None

    def _identity(self, raw: tuple[Any, ...], cid: int | None) -> _Identity:
        """The identity of a customer's orders with these identity columns: what the columns say (worked
        out once per distinct row of them), each counted key's times and sums, where the links lead."""
        try:
            found = self.by_columns.get(raw)
        except TypeError:  # an address as a dict
            found = None
        if found is None:
            # Only the types some column of this row is read for are looked for (an email-only row
            # is never searched for a phone, an address or a card).
            filled = tuple([value is not None for value in raw])
            kinds = self.kinds_of_filled.get(filled)
            if kinds is None:
                present = {c for c, is_filled in zip(self.read, filled, strict=True) if is_filled}
                kinds = self.kinds_of_filled[filled] = frozenset(
                    t for t in self.kinds if t not in _TYPE_COLUMNS or _TYPE_COLUMNS[t] & present
                )
            found = _identity(raw, self.read, self.region, self.shop.link_kinds, self.counting, kinds)
            if self.want_velocity:
                counters = self.counters
                found.counted = tuple(
                    (kind, key, self.windows[kind], counters.get(key) if key is not None else None)
                    for kind, key in found.counted
                )
            with contextlib.suppress(TypeError):
                if len(self.by_columns) < _REMEMBERED:
                    self.by_columns[raw] = found
        identity = _Identity(found.linking, found.counted, found.address)
        if self.want_links:
            identity.linked, identity.touched = self._reach(found, cid)
        return identity

    def _members(self, cid: int | None, linking: frozenset[tuple[str, str]]) -> set[int]:
        """The members of the order's link clusters, as the list match reads them (``_members_statement``)."""
        members: set[int] = set()
        clusters: set[int] = set()
        cluster_of = self.cluster_of
        for key in linking:
            for holder in self.holders.get(key, ()):
                members.add(holder)
                clusters.add(cluster_of.get(holder, holder))
        if cid is not None and cid in cluster_of:
            members.add(cid)
            clusters.add(cluster_of[cid])
        for cluster in clusters:
            members.add(cluster)
            members |= self.in_cluster.get(cluster, ())
        return members

    def _matched(
        self,
        cid: int | None,
        keys: tuple[tuple[str, str], ...],
        order_lines: Sequence[LineInput],
        total: int,
        placed: datetime,
    ) -> tuple[bool, int, int]:
        """Whether the lists block the customer, how many blocked customers and how many customers the
        order links to, by the list match screening runs (as of the order's time, with its lines)."""
        memo = (cid, keys)
        known = self.matched.get(memo)
        if known is not None:
            return known
        lines = tuple(scope_lines(order_lines))
        with_lines = (cid, keys, lines)
        known = self.matched_lines.get(with_lines)
        if known is not None:
            return known
        with frozen(placed):
            result = match(
                self.session,
                shop_id=self.shop.id,
                identifiers=keys,
                customer_id=cid,
                lines=list(lines),
                order_total=total,
                shop=self.shop,
            )
        blocked_self, blocked_links = list_blocks(result, cid)
        answer = (blocked_self, len(blocked_links), result.linked_customers)
        # The same customer and keys give the same answer unless an entry's scope (the lines, or the
        # total for an order above an amount) or expiry (the time) could tell two orders apart.
        reached = (*result.matches, *result.out_of_scope)
        if not self.expiring:
            kinds = {m.scope.get("kind", "everything") for m in reached}
            if kinds <= {"everything"}:
                self.matched[memo] = answer
            elif "order_above" not in kinds:
                self.matched_lines[with_lines] = answer
        return answer


class _Identity:
    """What an order's identity columns say, worked out once per distinct identity."""

    __slots__ = ("linking", "counted", "address", "linked", "touched")

    def __init__(
        self, linking: frozenset[tuple[str, str]], counted: tuple[Any, ...], address: str | None
    ) -> None:
        self.linking = linking  # the keys of a type the shop links customers on
        # (velocity kind, the key it is counted under); ``Profiles`` adds the kind's windows and the key's counters
        self.counted = counted
        self.address = address  # the shipping address's key
        # For one customer: how many others the links reach, and whether a list entry can reach the order.
        self.linked, self.touched = 0, False


def _order_of(raw: tuple[Any, ...], columns: tuple[str, ...]) -> dict[str, Any]:
    """An order's identity columns as ``identifiers_of_order`` reads them (addresses decoded)."""
    order = dict(zip(columns, raw, strict=True))
    for side in ("shipping_address", "billing_address"):
        if isinstance(order.get(side), str):
            order[side] = json.loads(order[side])
    return order


def _match_keys(
    raw: tuple[Any, ...], columns: tuple[str, ...], region: str | None
) -> tuple[tuple[str, str], ...]:
    order = _order_of(raw, columns)
    identifiers = identifiers_of_order(order, default_region=region)
    return tuple(order_match_keys(order, identifiers=identifiers))


def _identity(
    raw: tuple[Any, ...],
    columns: tuple[str, ...],
    region: str | None,
    link_kinds: frozenset[str],
    counting: frozenset[str],
    kinds: frozenset[str],
) -> _Identity:
    """Read an order's identity columns as screening does (a returning customer's come back).

    ``raw`` holds the ``columns`` read; the others are empty. Only the identifier types in ``kinds``
    are derived (those counted, linked on or shared-address checked), and only the velocity kinds in
    ``counting`` (those the rules read) are keyed: the others are never counted.
    """
    order = _order_of(raw, columns)
    identifiers = identifiers_of_order(order, default_region=region, kinds=kinds)
    # Every kind the order has gets its facts; one with no value has no key, so nothing earlier counts.
    counted = (
        tuple(
            (kind, digest(f"{kind}:{value}") if value and kind in VELOCITY_KINDS else None)
            for kind, value in velocity_keys(identifiers).items()
            if kind in counting
        )
        if counting
        else ()
    )
    address = None
    linking = []
    for i in identifiers:  # one pass, not one generator per answer (a hundred thousand identities)
        kind = i.type._value_
        if kind in link_kinds:
            linking.append((kind, i.value))
        if address is None and kind == "shipping_address":
            address = i.value
    return _Identity(frozenset(linking), counted, address)


def row_getter(indexes: list[int]) -> Callable[[Any], tuple[Any, ...]]:
    """A row's values at ``indexes`` as a tuple, however many there are (``itemgetter`` of one is no tuple)."""
    if len(indexes) == 1:
        (i,) = indexes
        return lambda row: (row[i],)
    if not indexes:
        return lambda row: ()
    return itemgetter(*indexes)


# The order columns each identifier type is read from (``identifiers_of_order``).
_KIND_COLUMNS: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}),
    "email_domain": frozenset({"email"}),
    "phone": frozenset({"phone", "shipping_address", "billing_address"}),
    "shipping_address": frozenset({"shipping_address"}),
    "billing_address": frozenset({"billing_address"}),
    "name_address": frozenset({"shipping_address", "billing_address"}),
    "ip": frozenset({"browser_ip"}),
    "ip_user_agent": frozenset({"browser_ip"}),
    "device_id": frozenset({"device_id"}),
    "payment_fingerprint": frozenset({"payment_fingerprint", "card_bin", "card_last4"}),
    "card_number": frozenset({"payment_fingerprint", "card_bin", "card_last4"}),
}

# The order columns each identifier type is read from, to read it (the card's expiry among them).
_TYPE_COLUMNS: dict[str, frozenset[str]] = {
    **_KIND_COLUMNS,
    "payment_fingerprint": _KIND_COLUMNS["payment_fingerprint"] | {"card_expiry"},
    "card_number": _KIND_COLUMNS["card_number"] | {"card_expiry"},
    "ip_user_agent": frozenset({"browser_ip", "user_agent"}),
}

_REMEMBERED = 1_000_000  # identities kept in one backtest
_CHUNK = 500  # customers looked up in one statement


def _holders_statement(shop_id: int, kinds: list[str]) -> Select[Any]:
    i = Identifier.__table__.c
    # One comparison per kind, not IN: ``stream_once`` runs the statement as compiled, without expanding a list.
    return select(i.type, i.value, i.customer_id).where(
        i.shop_id == shop_id, or_(*(i.type == k for k in kinds))
    )


def scan_column(name: str) -> Any:
    """An order column as a backtest reads it: a JSON column (addresses, the checkout) as its text,
    which the facts that read it decode, and which tells rows apart in a dict as a dict cannot."""
    column = Order.__table__.c[name]
    return cast(column, Text) if name in _JSON_COLUMNS else column


_JSON_COLUMNS = frozenset({"shipping_address", "billing_address", "checkout"})


def _lines_of(session: Session, order_ids: list[int]) -> dict[int, list[LineInput]]:
    """Each order's lines with their products' facts, as ``inputs.from_order`` describes them."""
    li, p = LineItem, Product
    out: dict[int, list[LineInput]] = {}
    for start in range(0, len(order_ids), _CHUNK):
        stmt = (
            select(
                li.order_id, li.id, li.sku, li.title, li.quantity, li.unit_price, li.variant, li.product_id
            )
            .add_columns(p.id, p.sku, p.title, p.price, p.category, p.tags, p.high_value, p.limited_edition)
            .outerjoin(p, p.id == li.product_id)
            .where(li.order_id.in_(order_ids[start : start + _CHUNK]))
            .order_by(li.order_id, li.id)
        )
        for order_id, line_id, sku, title, quantity, price, variant, product_id, *product in session.execute(
            stmt
        ):
            lines = out.setdefault(order_id, [])
            lines.append(
                _product_line(
                    len(lines),
                    ProductRow(*product) if product_id and product[0] is not None else None,
                    sku=sku,
                    title=title,
                    quantity=quantity,
                    unit_price=price,
                    variant=dict(variant or {}),
                    line_item_id=line_id,
                )
            )
    return out


def _risk(session: Session, shop_id: int) -> dict[int, tuple[int, str, tuple[str, ...]]]:
    """Each assessed customer's score, segment and finding types, as stored (``reads.history``)."""
    r = CustomerRisk.__table__.c
    stmt = select(r.customer_id, r.score, r.segment, r.finding_types).where(r.shop_id == shop_id)
    return {
        cid: (int(score), segment, tuple(types.split(",")) if types else ())
        for cid, score, segment, types in stream_once(session, stmt)
        if score is not None and segment is not None and types is not None  # else screening reads NULL
    }


def _address_holders(session: Session, shop_id: int) -> dict[str, set[int]]:
    """The customers who used each shipping address (``reads.history``'s shared-address count)."""
    i = Identifier.__table__.c
    out: dict[str, set[int]] = {}
    stmt = select(i.value, i.customer_id).where(i.shop_id == shop_id, i.type == "shipping_address")
    for value, cid in stream_once(session, stmt):
        if cid is not None:
            out.setdefault(value, set()).add(cid)
    return out
