"""Pure rules of customer risk: a customer's behaviour, the detectors that read it, a score and a segment.

No session and no I/O. ``service.py`` builds each customer's ``Behaviour`` from the shop's rows in
a few grouped reads; everything here is a function of that record and of ``thresholds``, a plain
dict the merchant can tune (``DEFAULT`` is where it starts). Each detector states the orders,
refunds and disputes it rests on, the thresholds it used and a sentence a person can check.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storeguard.risk.enums import FindingType, RefundKind, Segment

# Stored with every assessment, so a score can be traced to the rules that made it.
MODEL_VERSION = "2026-12-06.2"

# What each segment is allowed, for the storefront and the returns desk (merchant-tunable data).
PRIVILEGES: dict[str, dict[str, Any]] = {
    "vip": {
        "priority_support": True,
        "free_returns": True,
        "extra_return_days": 30,
        "manual_review": False,
        "inspection_before_refund": False,
    },
    "good": {
        "priority_support": False,
        "free_returns": True,
        "extra_return_days": 0,
        "manual_review": False,
        "inspection_before_refund": True,
    },
    "neutral": {
        "priority_support": False,
        "free_returns": False,
        "extra_return_days": 0,
        "manual_review": False,
        "inspection_before_refund": True,
    },
    "watch": {
        "priority_support": False,
        "free_returns": False,
        "extra_return_days": 0,
        "manual_review": False,
        "inspection_before_refund": True,
    },
    "restricted": {
        "priority_support": False,
        "free_returns": False,
        "extra_return_days": 0,
        "manual_review": True,
        "inspection_before_refund": True,
    },
    "blocked": {
        "priority_support": False,
        "free_returns": False,
        "extra_return_days": 0,
        "manual_review": True,
        "inspection_before_refund": True,
    },
}

# Merchant-tunable data. Money is never an absolute amount: "small" is a share of the shop's
# median order, so the same defaults hold in kroner and in dollars.
DEFAULT: dict[str, Any] = {
    "refund_reasons": {
        "cancel": ["order_cancelled", "declined", "fraud"],
        "not_received": ["item_not_received"],
        "no_return": ["damaged", "missing_item", "not_working", "defective"],
    },
    "claim_tags": {"not_received": ["claim:item_not_received"], "chargeback": ["chargeback"]},
    # A finding at or above this confidence counts as the customer's type in reports.
    "report_confidence": 0.5,
    "wardrobing": {
        "return_window_days": 30,
        "late_share_of_window": 0.7,  # returned from day 21 of 30
        "min_signals": 2,  # returns late in the window, or wearables returned worn
        # A worn return that was neither late nor of an occasion item counts this much: clothes
        # come back unfit to sell now and then from anyone; worn, late and dressy is the pattern.
        "worn_only_weight": 0.5,
        "min_share_of_returns": 0.6,
        "wearable_categories": ["apparel", "footwear"],
        "occasion_tags": ["occasion"],
    },
    "bracketing": {
        "min_variants": 2,  # lines of one product in one order
        "min_returned_share": 0.5,  # of the bracketed units, sent back
        "min_orders": 2,
        "single_min_variants": 3,  # one order is enough when all but one of 3+ variants came back
        "single_confidence": 0.5,
        "min_share_of_bracketed": 0.4,  # of the orders with several variants, most returned
    },
    "serial_returning": {
        "min_orders": 3,  # delivered orders whose return window has closed or that came back
        # An order counts as sent back when more than this share of its units came back (of its
        # value when the units are not known): one jumper of two back is a choosy customer's return.
        "most_of_order": 0.5,
        # Most orders come back, and a real share of the money, not only the cheap pieces: both
        # ratios weigh recent orders more. The value floor is lower than the count's because a
        # serial returner keeps some orders whole, and those are as often the large ones.
        "min_ratio_by_count": 0.5,
        "min_ratio_by_value": 0.3,
        "half_life_days": 180,  # an order this old weighs half as much as one delivered today
        # Two explanations of the record are weighed: an honest customer who is choosier than
        # most, returning up to this many times the shop's own rate (never less than the floor),
        # against an abuser who sends back this share of orders; reported when the record is at
        # least this many times likelier from the abuser. The floor is for a shop that rarely
        # sees anything back; counted by orders mostly sent back, twice a fashion shop's own rate
        # (about 0.18) is above it, so the shop's rate decides.
        "times_shop_rate": 2.0,
        "min_honest_rate": 0.15,
        "abuser_rate": 0.7,
        "min_likelihood_ratio": 7,
    },
    "low_value_refunds": {
        "small_share_of_median": 0.6,  # an order up to 60 % of the shop's median order is small
        "min_refunds": 2,
        "min_share_of_orders": 0.25,
    },
    "not_received": {"min_claims": 2, "single_confidence": 0.5},
    # "I typed the wrong address", "I ordered twice", "the site charged me wrongly", said once the
    # parcel has arrived: a real mistake is reported before shipping; one claim is only shown.
    "late_claims": {
        "reasons": ["wrong_address", "duplicate_order", "site_error", "price_error"],
        "tags": ["claim:wrong_address", "claim:duplicate_order", "claim:site_error"],
        "min_days_after_delivery": 2,
        "min_claims": 2,
        "single_confidence": 0.4,
    },
    "chargebacks": {
        "min_chargebacks": 2,
        "single_confidence": 0.6,
        # One chargeback the bank found unfounded (the shop won), or one saying a parcel the carrier
        # delivered never came, is abuse on its own; one the shop lost as fraud may be a stolen card.
        "unfounded_confidence": 0.75,
        "stolen_card_confidence": 0.45,
        "not_received_reasons": ["product_not_received"],
        "fraud_reasons": ["fraudulent"],
    },
    # A shared address alone is a household; with abuse of the customer's own, it is a comeback.
    "evasion": {"cluster_confidence": 0.95, "address_confidence": 0.4, "address_and_conduct_confidence": 0.7},
    # Points a finding adds to the 0-100 score at full confidence.
    "weights": {
        FindingType.evasion.value: 70,
        FindingType.chargeback_abuse.value: 60,
        FindingType.not_received_claims.value: 55,
        FindingType.low_value_refunds.value: 55,
        FindingType.late_claims.value: 50,
        FindingType.wardrobing.value: 45,
        FindingType.serial_returning.value: 45,
        FindingType.bracketing.value: 35,
    },
    "segments": {
        # Moves into these happen without a person until someone has decided on the customer;
        # every other move (vip's perks, watch and worse) waits for a person.
        "automatic_moves": ["good", "neutral"],
        "watch": 25,
        "restricted": 50,
        "blocked": 80,
        "vip_min_orders": 8,
        "vip_max_return_ratio": 0.15,
        "good_min_orders": 1,
    },
}


@dataclass(frozen=True)
class OrderFacts:
    """One order as the detectors need it."""

    id: int
    total: int
    created_at: datetime
    cancelled: bool = False
    delivered_at: datetime | None = None
    tags: tuple[str, ...] = ()
    wearable: bool = False  # has apparel or footwear
    occasion: bool = False  # has an item the merchant tags as worn for an occasion
    bracket_units: int = 0  # units in lines of one product bought in several variants
    bracket_returned: int = 0
    fee: int = 0  # kept by the gateway
    units: int = 0  # units ordered; 0 when not known


@dataclass(frozen=True)
class RefundFacts:
    """One refund with what its lines say about the goods."""

    id: int
    order_id: int
    amount: int
    created_at: datetime
    reason: str | None = None
    shipping_amount: int = 0
    units: int = 0
    restocked_units: int = 0
    unsellable_amount: int = 0  # refunded for units not put back on the shelf


@dataclass(frozen=True)
class DisputeFacts:
    """A chargeback: a gateway dispute, or an order the platform tagged as charged back."""

    order_id: int
    amount: int
    id: int | None = None
    reason: str | None = None
    lost: bool = True  # the money is gone unless the shop won the dispute


@dataclass(frozen=True)
class BlockLink:
    """A link from this customer to a blocked customer, and what it runs through."""

    blocked_customer_id: int
    block_id: int
    via: str  # "cluster" (the shop's link types) or an identifier type such as shipping_address


@dataclass
class Behaviour:
    """Everything storeguard knows of one customer's conduct in one shop."""

    customer_id: int
    orders: list[OrderFacts] = field(default_factory=list)
    refunds: list[RefundFacts] = field(default_factory=list)
    disputes: list[DisputeFacts] = field(default_factory=list)
    links: list[BlockLink] = field(default_factory=list)
    disposable_email: bool = False  # signed up with a throw-away mail address
    shop_median_total: int = 0
    shop_return_rate: float = 0.0  # delivered orders with a return, over the whole shop
    as_of: datetime | None = None  # when the record was read: orders still in their window wait
    # What the customer cost the shop, from the true-loss ledger (``risk.ledger``): the one
    # definition of a loss, which the reads fill in so this page and the reports agree.
    true_loss: int = 0


@dataclass(frozen=True)
class Summary:
    """The behaviour in figures, as a person reads it on the customer page."""

    orders: int
    order_value: int
    delivered: int
    cancelled: int
    returns: int  # refunds of goods sent back
    orders_returned: int
    returned_value: int
    return_ratio_by_count: float  # delivered orders with a return
    return_ratio_by_value: float  # returned value over delivered value
    refunds_without_return: int
    chargebacks: int
    not_received_claims: int
    median_days_to_return: float | None
    true_loss: int


@dataclass(frozen=True)
class Finding:
    """What a detector found, how sure it is, what it rests on and the thresholds it used."""

    type: FindingType
    confidence: float
    words: str
    order_ids: tuple[int, ...] = ()
    refund_ids: tuple[int, ...] = ()
    dispute_ids: tuple[int, ...] = ()
    customer_ids: tuple[int, ...] = ()
    thresholds: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Contribution:
    """Points a finding adds to the score, in words."""

    type: FindingType
    points: int
    words: str


@dataclass(frozen=True)
class Assessment:
    """A customer's findings, score with its contributions, and the segment it suggests."""

    customer_id: int
    summary: Summary
    findings: tuple[Finding, ...]
    score: int
    contributions: tuple[Contribution, ...]
    segment: Segment

    def reported(self, thresholds: Mapping[str, Any] = DEFAULT) -> set[FindingType]:
        """Return the finding types sure enough to count as the customer's type in reports."""
        return {f.type for f in self.findings if f.confidence >= thresholds["report_confidence"]}


# Reading the record -------------------------------------------------------------------------------


def refund_kind(refund: RefundFacts, thresholds: Mapping[str, Any] = DEFAULT) -> RefundKind:
    """Say what a refund was for: a cancellation, a claim of non-delivery or of a mistake (wrong
    address, duplicate order, site error), no return, or a return."""
    reasons = thresholds["refund_reasons"]
    reason = (refund.reason or "").lower()
    if reason in reasons["cancel"]:
        return RefundKind.cancel
    if reason in reasons["not_received"]:
        return RefundKind.not_received
    if reason in thresholds["late_claims"]["reasons"]:
        return RefundKind.claim
    if reason in reasons["no_return"] or (refund.units and refund.restocked_units == 0 and not reason):
        return RefundKind.no_return
    return RefundKind.returned


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86_400


def _returns(b: Behaviour, t: Mapping[str, Any]) -> list[RefundFacts]:
    return [r for r in b.refunds if refund_kind(r, t) is RefundKind.returned]


def chargebacks(b: Behaviour) -> list[DisputeFacts]:
    """Return the customer's chargebacks, one per order."""
    seen: dict[int, DisputeFacts] = {}
    for d in b.disputes:
        seen.setdefault(d.order_id, d)
    return list(seen.values())


def not_received_claims(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> list[int]:
    """Return the ids of orders the customer said never arrived."""
    tags = set(t["claim_tags"]["not_received"])
    claimed = {o.id for o in b.orders if tags & set(o.tags)}
    claimed |= {r.order_id for r in b.refunds if refund_kind(r, t) is RefundKind.not_received}
    return sorted(claimed)


def summarize(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Summary:
    """Return the customer's behaviour in figures."""
    live = [o for o in b.orders if not o.cancelled]
    delivered = [o for o in live if o.delivered_at is not None]
    delivered_ids = {o.id for o in delivered}
    returns = _returns(b, t)
    returned_orders = {r.order_id for r in returns if r.order_id in delivered_ids}
    delivered_value = sum(o.total for o in delivered)
    returned_value = sum(r.amount - r.shipping_amount for r in returns if r.order_id in delivered_ids)
    by_id = {o.id: o for o in b.orders}
    waits = [
        _days(by_id[r.order_id].delivered_at, r.created_at)  # type: ignore[arg-type]
        for r in returns
        if r.order_id in delivered_ids
    ]
    return Summary(
        orders=len(live),
        order_value=sum(o.total for o in live),
        delivered=len(delivered),
        cancelled=len(b.orders) - len(live),
        returns=len(returns),
        orders_returned=len(returned_orders),
        returned_value=returned_value,
        return_ratio_by_count=len(returned_orders) / len(delivered) if delivered else 0.0,
        return_ratio_by_value=returned_value / delivered_value if delivered_value else 0.0,
        refunds_without_return=sum(1 for r in b.refunds if refund_kind(r, t) is RefundKind.no_return),
        chargebacks=len(chargebacks(b)),
        not_received_claims=len(not_received_claims(b, t)),
        median_days_to_return=round(statistics.median(waits), 1) if waits else None,
        true_loss=b.true_loss,
    )


def likelihood_ratio(hits: int, n: float, abuser_rate: float, honest_rate: float) -> float:
    """How many times likelier ``hits`` returns in ``n`` orders are at ``abuser_rate`` than at ``honest_rate``."""
    return (abuser_rate / honest_rate) ** hits * ((1 - abuser_rate) / (1 - honest_rate)) ** (n - hits)


def shop_return_rate(behaviours: Iterable[Behaviour], t: Mapping[str, Any] = DEFAULT) -> float:
    """Return the share of the shop's delivered orders sent back, as serial returning counts a
    customer's (``mostly_sent_back``): the two rates are weighed against each other."""
    delivered = returned = 0
    for b in behaviours:
        ids = {o.id for o in b.orders if o.delivered_at is not None and not o.cancelled}
        delivered += len(ids)
        returned += len(mostly_sent_back(b, t) & ids)
    return returned / delivered if delivered else 0.0


def _pct(x: float) -> str:
    return f"{round(x * 100)} %"


# Detectors ------------------------------------------------------------------------------------------


def detect_wardrobing(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Goods returned late in the window, or clothing returned worn (not fit to restock), again and again."""
    th = t["wardrobing"]
    late_days = th["return_window_days"] * th["late_share_of_window"]
    by_id = {o.id: o for o in b.orders}
    returns = [r for r in _returns(b, t) if (o := by_id.get(r.order_id)) and o.delivered_at]
    signals = []
    for r in returns:
        order = by_id[r.order_id]
        late = _days(order.delivered_at, r.created_at) >= late_days  # type: ignore[arg-type]
        worn = order.wearable and r.units > 0 and r.restocked_units < r.units
        if late or worn:
            signals.append((r, late, worn, order.occasion))
    strength = sum(1 if late or occasion else th["worn_only_weight"] for _, late, _, occasion in signals)
    if strength < th["min_signals"]:
        return None
    share = len(signals) / len(returns)
    if share < th["min_share_of_returns"]:
        return None
    late_n = sum(1 for s in signals if s[1])
    worn_n = sum(1 for s in signals if s[2])
    occasion_n = sum(1 for s in signals if s[3])
    confidence = min(0.95, 0.45 + 0.15 * len(signals)) * share
    words = (
        f"{len(signals)} of {len(returns)} returns came back late in the window "
        f"(from day {round(late_days)} of {th['return_window_days']}: {late_n}) or worn "
        f"(clothing not fit to restock: {worn_n}); {occasion_n} with occasion items"
    )
    return Finding(
        FindingType.wardrobing,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted({s[0].order_id for s in signals})),
        refund_ids=tuple(sorted(s[0].id for s in signals)),
        thresholds={**th, "late_days": late_days},
    )


def detect_bracketing(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Several sizes or colours of one product in one order, most of them sent back, in several orders."""
    th = t["bracketing"]
    window = t["wardrobing"]["return_window_days"]
    returned_ids = {r.order_id for r in _returns(b, t)}
    # A bracketed order not delivered yet, or still inside its return window with nothing back
    # yet, says nothing yet.
    bracketed = [
        o
        for o in b.orders
        if o.bracket_units >= th["min_variants"]
        and not o.cancelled
        and (
            o.id in returned_ids
            or (o.delivered_at is not None and (b.as_of is None or _days(o.delivered_at, b.as_of) > window))
        )
    ]
    returned = [o for o in bracketed if o.bracket_returned / o.bracket_units >= th["min_returned_share"]]
    single = (
        len(returned) == 1
        and returned[0].bracket_units >= th["single_min_variants"]
        and returned[0].bracket_returned >= returned[0].bracket_units - 1
    )
    if len(returned) < th["min_orders"] and not single:
        return None
    ids = {o.id for o in returned}
    refunds = tuple(sorted(r.id for r in _returns(b, t) if r.order_id in ids))
    units = sum(o.bracket_units for o in returned)
    back = sum(o.bracket_returned for o in returned)
    share = len(returned) / len(bracketed)
    if share < th["min_share_of_bracketed"]:
        return None
    confidence = th["single_confidence"] if single else min(0.95, 0.45 + 0.15 * len(returned))
    words = (
        f"{len(returned)} orders with several sizes or colours of one product, {back} of {units} "
        f"of those units sent back ({len(bracketed)} such orders in all)"
    )
    return Finding(
        FindingType.bracketing,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted(ids)),
        refund_ids=refunds,
        thresholds=dict(th),
    )


def settled_orders(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> list[OrderFacts]:
    """Delivered orders whose outcome is known: something came back, or the return window closed.

    An order delivered last week with nothing back yet says nothing about returns yet.
    """
    window = t["wardrobing"]["return_window_days"]
    returned = {r.order_id for r in _returns(b, t)}
    return [
        o
        for o in b.orders
        if o.delivered_at is not None
        and not o.cancelled
        and (o.id in returned or b.as_of is None or _days(o.delivered_at, b.as_of) > window)
    ]


def still_open(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> list[tuple[OrderFacts, float]]:
    """Delivered orders inside their return window with nothing back yet, each with the share of the
    window that has passed.

    Returns come in during the window, so counting the orders that came back early while leaving
    out the ones not back yet would make a customer who bought a lot last week look like one who
    sends everything back. An open order counts as kept as far as its window has run.
    """
    if b.as_of is None:
        return []
    window = t["wardrobing"]["return_window_days"]
    returned = {r.order_id for r in _returns(b, t)}
    return [
        (o, max(0.0, _days(o.delivered_at, b.as_of)) / window)
        for o in b.orders
        if o.delivered_at is not None
        and not o.cancelled
        and o.id not in returned
        and _days(o.delivered_at, b.as_of) <= window
    ]


def recency_weight(order: OrderFacts, as_of: datetime | None, half_life_days: float) -> float:
    """How much an order counts: 1 delivered now, halving every ``half_life_days`` before ``as_of``."""
    if as_of is None or order.delivered_at is None or half_life_days <= 0:
        return 1.0
    return 0.5 ** (max(0.0, _days(order.delivered_at, as_of)) / half_life_days)


def sent_back(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> dict[int, list[RefundFacts]]:
    """The returns of each order that counts as sent back for serial returning.

    An order of several sizes or colours of one product whose returns were only of those variants,
    one kept, is a garment bought and kept: the customer sent back the sizes that did not fit.
    That is bracketing's question (``detect_bracketing``), not serial returning's: counted here
    too, one honest order of two sizes would weigh like a whole order sent back.
    """
    by_order: dict[int, list[RefundFacts]] = {}
    for r in _returns(b, t):
        by_order.setdefault(r.order_id, []).append(r)
    kept_a_variant = {
        o.id
        for o in b.orders
        if o.id in by_order
        and 0 < o.bracket_returned < o.bracket_units
        and sum(r.units for r in by_order[o.id]) <= o.bracket_returned
    }
    return {order_id: rs for order_id, rs in by_order.items() if order_id not in kept_a_variant}


def mostly_sent_back(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> set[int]:
    """The orders most of which came back: more than ``most_of_order`` of the units, or of the
    value when the order's units or the returns' units are not known.

    A serial returner sends most of every order back; a choosy customer sends back the jumper
    that did not suit and keeps the rest. Counting every order with any return as sent back
    makes the second look like the first: the orders are counted, the part returned is not.
    """
    most = t["serial_returning"]["most_of_order"]
    by_id = {o.id: o for o in b.orders}
    out = set()
    for order_id, rs in sent_back(b, t).items():
        o = by_id.get(order_id)
        if o is None:
            continue
        units = sum(r.units for r in rs)
        if o.units and units:
            share = units / o.units
        else:
            share = sum(r.amount - r.shipping_amount for r in rs) / o.total if o.total else 0.0
        if share > most:
            out.add(order_id)
    return out


def weighted_return_ratios(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> tuple[float, float]:
    """Return the settled orders' return ratio by count and by value, recent orders weighing more.

    By count: the weighted share of orders mostly sent back (``mostly_sent_back``). By value: the
    weighted value sent back over the weighted value delivered (a return never counts for more
    than its order).
    """
    half_life = t["serial_returning"]["half_life_days"]
    orders = [(o, 1.0) for o in settled_orders(b, t)] + still_open(b, t)
    back = {
        order_id: sum(r.amount - r.shipping_amount for r in rs) for order_id, rs in sent_back(b, t).items()
    }
    mostly = mostly_sent_back(b, t)
    weight = count = value = returned_value = 0.0
    for o, known in orders:
        w = recency_weight(o, b.as_of, half_life) * known
        weight += w
        count += w * (o.id in mostly)
        value += w * o.total
        returned_value += w * min(max(back.get(o.id, 0), 0), o.total)
    return (count / weight if weight else 0.0, returned_value / value if value else 0.0)


def detect_serial_returning(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Most orders sent back, by count and by value, over too many orders to be chance (not a count).

    Both ratios weigh recent orders more, so a customer who has changed their ways is seen as they
    are now. The count is set against a multiple of the shop's own return rate: a customer who
    returns more than average but still keeps most of what they buy is choosy, not abusive. Orders
    still inside their window count as kept as far as the window has run (``still_open``), and an
    order of several sizes with one kept counts as kept (``sent_back``).

    An order counts as sent back when most of it came back (``mostly_sent_back``), and the shop's
    rate is counted the same way. Counting every order with any return made a choosy customer's
    one jumper of two back weigh like a serial returner's whole parcel back, so the honest
    explanation had to allow a high rate (twice every return in the shop) and a serial returner
    with three or four of four to six orders back could not be told from it. Counted by what came
    back, the two explanations differ where they really differ: the choosy customer keeps most of
    each order, the serial returner sends most of each back.
    """
    th = t["serial_returning"]
    orders = settled_orders(b, t)
    if len(orders) < th["min_orders"]:
        return None
    ids = mostly_sent_back(b, t) & {o.id for o in orders}
    returns = [r for order_id, rs in sent_back(b, t).items() if order_id in ids for r in rs]
    returned_orders = {r.order_id for r in returns}
    by_count, by_value = weighted_return_ratios(b, t)
    honest_rate = min(0.9, max(th["min_honest_rate"], b.shop_return_rate * th["times_shop_rate"]))
    open_orders = still_open(b, t)
    seen = len(orders) + sum(known for _, known in open_orders)
    ratio = likelihood_ratio(len(returned_orders), seen, th["abuser_rate"], honest_rate)
    if (
        by_count < th["min_ratio_by_count"]
        or by_value < th["min_ratio_by_value"]
        or ratio < th["min_likelihood_ratio"]
    ):
        return None
    # 0.6 at the threshold, 0.95 once the record is ten times likelier still.
    confidence = min(0.95, 0.6 + 0.35 * math.log10(ratio / th["min_likelihood_ratio"]))
    words = (
        f"return ratio {_pct(by_value)} by value, most of {len(returned_orders)} of {len(orders)} "
        f"delivered orders sent back (the shop: {_pct(b.shop_return_rate)})"
    )
    if open_orders:
        words += f"; {len(open_orders)} more still inside the return window"
    return Finding(
        FindingType.serial_returning,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted(returned_orders)),
        refund_ids=tuple(sorted(r.id for r in returns)),
        thresholds={
            **th,
            "ratio_by_count": round(by_count, 3),
            "ratio_by_value": round(by_value, 3),
            "honest_rate": round(honest_rate, 3),
            "likelihood_ratio": round(ratio, 1),
        },
    )


def detect_low_value_refunds(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Small orders refunded as damaged or missing, with nothing sent back, more than once."""
    th = t["low_value_refunds"]
    limit = b.shop_median_total * th["small_share_of_median"]
    by_id = {o.id: o for o in b.orders}
    hits = [
        r
        for r in b.refunds
        if refund_kind(r, t) is RefundKind.no_return
        and (o := by_id.get(r.order_id)) is not None
        and (not limit or o.total <= limit)
    ]
    orders = {r.order_id for r in hits}
    live = [o for o in b.orders if not o.cancelled]
    share = len(orders) / len(live) if live else 0.0
    if len(orders) < th["min_refunds"] or share < th["min_share_of_orders"]:
        return None
    confidence = min(0.95, 0.5 + 0.1 * len(orders) + 0.3 * share)
    words = (
        f"{len(orders)} of {len(live)} orders refunded without a return as damaged or missing, "
        f"each up to {_pct(th['small_share_of_median'])} of the shop's median order"
    )
    return Finding(
        FindingType.low_value_refunds,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted(orders)),
        refund_ids=tuple(sorted(r.id for r in hits)),
        thresholds={**th, "small_order_limit": int(limit)},
    )


def detect_not_received_claims(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Parcels claimed never to have arrived although the carrier confirmed delivery: one is worth a watch."""
    th = t["not_received"]
    delivered = {o.id for o in b.orders if o.delivered_at is not None}
    claimed = [i for i in not_received_claims(b, t) if i in delivered]
    if not claimed:
        return None
    ids = set(claimed)
    refunds = tuple(sorted(r.id for r in b.refunds if r.order_id in ids))
    if len(claimed) >= th["min_claims"]:
        confidence = min(0.95, 0.6 + 0.15 * (len(claimed) - 1))
    else:
        confidence = th["single_confidence"]
    words = f"{len(claimed)} claims that a parcel never arrived, each one confirmed delivered by the carrier"
    return Finding(
        FindingType.not_received_claims,
        round(confidence, 2),
        words,
        order_ids=tuple(claimed),
        refund_ids=refunds,
        thresholds=dict(th),
    )


def detect_late_claims(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Refunds claimed after delivery for a wrong address, a duplicate order or a site error.

    A refund with one of those reasons made at least ``min_days_after_delivery`` after the parcel
    arrived, or an order the platform tagged with such a claim once delivered. Several are a
    pattern; one is shown below the report confidence.
    """
    th = t["late_claims"]
    reasons, tags = set(th["reasons"]), set(th["tags"])
    delivered = {o.id: o for o in b.orders if o.delivered_at is not None}
    claimed: dict[int, list[int]] = {o: [] for o in delivered if tags & set(delivered[o].tags)}
    for r in b.refunds:
        o = delivered.get(r.order_id)
        if (
            o is not None
            and (r.reason or "").lower() in reasons
            and _days(o.delivered_at, r.created_at) >= th["min_days_after_delivery"]  # type: ignore[arg-type]
        ):
            claimed.setdefault(o.id, []).append(r.id)
    if not claimed:
        return None
    n = len(claimed)
    confidence = min(0.95, 0.6 + 0.15 * (n - 1)) if n >= th["min_claims"] else th["single_confidence"]
    words = (
        f"{n} claims of a wrong address, a duplicate order or a site error made after the parcel "
        "was delivered"
    )
    return Finding(
        FindingType.late_claims,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted(claimed)),
        refund_ids=tuple(sorted(rid for ids in claimed.values() for rid in ids)),
        thresholds=dict(th),
    )


def detect_chargeback_abuse(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Finding | None:
    """Chargebacks on delivered orders, weighed by how they ended: several are abuse; one is worth a
    watch, abuse when the shop won it or it denies a confirmed delivery, less when lost as fraud."""
    th = t["chargebacks"]
    delivered = {o.id for o in b.orders if o.delivered_at is not None}
    found = [d for d in chargebacks(b) if d.order_id in delivered]
    if not found:
        return None
    won = [d for d in found if not d.lost]
    denied = [d for d in found if (d.reason or "").lower() in th["not_received_reasons"]]
    if len(found) >= th["min_chargebacks"]:
        confidence = min(0.95, 0.7 + 0.1 * len(found) + 0.05 * len(won))
    elif won or denied:
        confidence = th["unfounded_confidence"]
    elif (found[0].reason or "").lower() in th["fraud_reasons"]:
        confidence = th["stolen_card_confidence"]
    else:
        confidence = th["single_confidence"]
    words = f"{len(found)} chargebacks on orders the carrier shows delivered"
    if won:
        words += f", {len(won)} won by the shop"
    if denied:
        words += f", {len(denied)} claiming the delivered parcel never came"
    return Finding(
        FindingType.chargeback_abuse,
        round(confidence, 2),
        words,
        order_ids=tuple(sorted(d.order_id for d in found)),
        dispute_ids=tuple(sorted(d.id for d in found if d.id is not None)),
        thresholds=dict(th),
    )


def detect_evasion(
    b: Behaviour, t: Mapping[str, Any] = DEFAULT, conduct: Iterable[Finding] = ()
) -> Finding | None:
    """Linked to a blocked customer: through the shop's link types (strong) or a shared address (weak).

    A weak link alone stays below the report confidence (housemates share an address); with
    ``conduct``, the customer's own reported findings, it is reported: someone at a blocked
    customer's address doing what got accounts blocked is more likely the same person back. So is
    someone at that address who signed up with a throw-away mail address: a housemate has no
    reason to hide, someone coming back under a new account has.
    """
    th = t["evasion"]
    if not b.links:
        return None
    strong = [link for link in b.links if link.via == "cluster"]
    chosen = strong or b.links
    own = sorted({f.type.value for f in conduct if f.confidence >= t["report_confidence"]})
    if strong:
        confidence = th["cluster_confidence"]
    elif own or b.disposable_email:
        confidence = th["address_and_conduct_confidence"]
    else:
        confidence = th["address_confidence"]
    blocked = tuple(sorted({link.blocked_customer_id for link in chosen}))
    via = "the shop's link types" if strong else ", ".join(sorted({link.via for link in chosen}))
    words = f"linked to blocked customer{'s' if len(blocked) > 1 else ''} {', '.join(map(str, blocked))} through {via}"
    if own and not strong:
        words += f", with findings of their own ({', '.join(own).replace('_', ' ')})"
    if b.disposable_email and not strong:
        words += ", signed up with a throw-away mail address"
    return Finding(FindingType.evasion, confidence, words, customer_ids=blocked, thresholds=dict(th))


Detector = Callable[[Behaviour, Mapping[str, Any]], Finding | None]
SPECIFIC: tuple[Detector, ...] = (
    detect_wardrobing,
    detect_bracketing,
    detect_low_value_refunds,
    detect_not_received_claims,
    detect_late_claims,
    detect_chargeback_abuse,
)


def detect(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> list[Finding]:
    """Run every detector; serial returning only when no more specific return finding explains the
    returns; evasion last, weighing a weak link with the customer's own conduct."""
    findings = [f for detector in SPECIFIC if (f := detector(b, t)) is not None]
    if not any(f.type in (FindingType.wardrobing, FindingType.bracketing) for f in findings):
        serial = detect_serial_returning(b, t)
        if serial is not None:
            findings.append(serial)
    evasion = detect_evasion(b, t, findings)
    if evasion is not None:
        findings.append(evasion)
    return findings


# Score and segment ----------------------------------------------------------------------------------


def score(findings: list[Finding], t: Mapping[str, Any] = DEFAULT) -> tuple[int, tuple[Contribution, ...]]:
    """Return the 0-100 score and each finding's contribution in words, largest first.

    A finding below the report confidence (a shared address, say) is shown but adds nothing: a
    household or a shared network must not move an honest customer into watch.
    """
    contributions = []
    for f in findings:
        if f.confidence < t["report_confidence"]:
            continue
        points = round(t["weights"][f.type.value] * f.confidence)
        contributions.append(Contribution(f.type, points, f"{f.words}: +{points}"))
    contributions.sort(key=lambda c: (-c.points, c.type.value))
    return min(100, sum(c.points for c in contributions)), tuple(contributions)


def segment(total: int, summary: Summary, t: Mapping[str, Any] = DEFAULT) -> Segment:
    """Suggest a segment from the score and the figures."""
    th = t["segments"]
    if total >= th["blocked"]:
        return Segment.blocked
    if total >= th["restricted"]:
        return Segment.restricted
    if total >= th["watch"]:
        return Segment.watch
    if (
        total == 0
        and summary.orders >= th["vip_min_orders"]
        and summary.return_ratio_by_value <= th["vip_max_return_ratio"]
    ):
        return Segment.vip
    if total == 0 and summary.delivered >= th["good_min_orders"]:
        return Segment.good
    return Segment.neutral


def current_segment(stored: str | None, decided: bool, suggested: str, t: Mapping[str, Any] = DEFAULT) -> str:
    """The customer's segment: a person's decision, else the suggestion where it moves by itself."""
    if not decided and suggested in t["segments"]["automatic_moves"]:
        return suggested
    return stored or Segment.neutral.value


def segment_now(stored: str | None, *, blocked: bool, fallback: str = Segment.neutral.value) -> str:
    """The customer's segment: the one rule the page, screening, returns and the storefront read it by.

    A block on the customer makes it ``blocked``. A customer risk has assessed is in the segment
    stored with the assessment (a person's decision, else the suggestion where it moves by itself:
    ``current_segment``). A customer not assessed yet, mostly one placing a first order, is in
    ``fallback``: screening's placement from the history the checkout reads already
    (``screening.policy.segment_for``; neutral without history), until risk assesses them.
    """
    if blocked:
        return Segment.blocked.value
    if stored is not None:
        return stored
    return fallback


def assess(b: Behaviour, t: Mapping[str, Any] = DEFAULT) -> Assessment:
    """Read one customer's behaviour: figures, findings, score with contributions, suggested segment."""
    summary = summarize(b, t)
    findings = detect(b, t)
    total, contributions = score(findings, t)
    return Assessment(
        customer_id=b.customer_id,
        summary=summary,
        findings=tuple(findings),
        score=total,
        contributions=contributions,
        segment=segment(total, summary, t),
    )
