"""What a risk finding can be, what a refund was for, and the segments storeguard suggests."""

from __future__ import annotations

from enum import StrEnum


class FindingType(StrEnum):
    wardrobing = "wardrobing"
    bracketing = "bracketing"
    serial_returning = "serial_returning"
    low_value_refunds = "low_value_refunds"
    not_received_claims = "not_received_claims"
    chargeback_abuse = "chargeback_abuse"
    late_claims = "late_claims"  # wrong address, duplicate order or site error, claimed after delivery
    evasion = "evasion"


# Each finding in plain words, as a screening reason names it.
FINDING_WORDS: dict[str, str] = {
    FindingType.wardrobing: "wardrobing (worn items returned, or returns late in the window)",
    FindingType.bracketing: "bracketing (several sizes or colours of one product ordered, most sent back)",
    FindingType.serial_returning: "serial returning (a high share of delivered orders returned)",
    FindingType.low_value_refunds: "low-value refund abuse (small orders refunded without a return)",
    FindingType.not_received_claims: "repeated not-received claims on orders shown delivered",
    FindingType.chargeback_abuse: "chargeback abuse (chargebacks on delivered orders)",
    FindingType.evasion: "evasion (linked to a blocked customer)",
}


class RefundKind(StrEnum):
    returned = "returned"  # goods came back
    no_return = "no_return"  # refunded as damaged or missing, nothing sent back
    not_received = "not_received"
    claim = "claim"  # a wrong address, a duplicate order, a site error: not a return
    cancel = "cancel"


class Segment(StrEnum):
    vip = "vip"
    good = "good"
    neutral = "neutral"
    watch = "watch"
    restricted = "restricted"
    blocked = "blocked"


# From watch on, a segment asks something of the shop's team.
WATCH_OR_WORSE = frozenset({Segment.watch, Segment.restricted, Segment.blocked})
