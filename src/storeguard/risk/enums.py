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
