"""Pure calculations behind the analytics: how much a trait separates two groups, when a product's
returns are high without the restricted customers, win rates and loss sums. No session, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storeguard.analytics.enums import AnalyticsError

# A product's return rate without the blocked and restricted customers at or above this, with
# enough units sold to mean something, says the product itself (description, photos, sizing) draws
# returns: removing a few abusers would not fix it.
HIGH_RETURN_RATE = 0.2
MIN_UNITS_FOR_FLAG = 20
# Returns mostly from restricted customers: their share of a product's returned units at or above this.
DRIVEN_SHARE = 0.5

# What the traits report compares the flagged customers on.
TRAITS = ("country", "channel", "payment", "order_value", "account_age", "linked_accounts", "finding")

# Order value bands as multiples of the period's average order: the same in kroner and in dollars.
VALUE_MULTIPLES = (0.5, 1, 2, 4)
# Account age bands and time-to-block bands, in days.
AGE_BANDS = (30, 180, 365)
BLOCK_AFTER_BANDS = (1, 7, 30, 90)


@dataclass(frozen=True)
class TraitRow:
    """One value of one trait: how many customers of each group have it, and how far apart the shares are."""

    trait: str
    value: str
    group: int
    rest: int
    group_share: float
    rest_share: float

    @property
    def separation(self) -> float:
        """Percentage points between the shares: positive when the trait is commoner among the flagged."""
        return round(self.group_share - self.rest_share, 4)


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def trait_rows(
    trait: str, counts: dict[str, tuple[int, int]], group_total: int, rest_total: int
) -> list[TraitRow]:
    """Rows of one trait from {value: (flagged customers, other customers)}."""
    return [
        TraitRow(trait, value, g, r, share(g, group_total), share(r, rest_total))
        for value, (g, r) in counts.items()
    ]


def rank_traits(rows: list[TraitRow]) -> list[TraitRow]:
    """The traits that separate the groups most first (by the gap in share, either way), then by count."""
    return sorted(rows, key=lambda t: (-abs(t.separation), -(t.group + t.rest), t.trait, t.value))


def value_bounds(average_minor: float, scale: int) -> tuple[int, ...]:
    """Order value bounds in whole major units (rounded to two significant digits, so they read well)."""
    out: list[int] = []
    for multiple in VALUE_MULTIPLES:
        bound = average_minor * multiple / scale
        digits = max(len(str(int(bound))) - 2, 0)
        rounded = max(int(round(bound, -digits)), 1)
        if not out or rounded > out[-1]:
            out.append(rounded)
    return tuple(out)


def band(value: float, bounds: tuple[int, ...]) -> int:
    """The index of the band a value falls in: 0 below the first bound, len(bounds) above the last."""
    for i, bound in enumerate(bounds):
        if value < bound:
            return i
    return len(bounds)


def band_label(index: int, bounds: tuple[int, ...]) -> str:
    """A band's name as data (the page words it): "<50", "50-100", "1000+"."""
    if index == 0:
        return f"<{bounds[0]}"
    if index == len(bounds):
        return f"{bounds[-1]}+"
    return f"{bounds[index - 1]}-{bounds[index]}"


@dataclass(frozen=True)
class ReturnRate:
    """Units sold and returned of one product or category, split between flagged customers and the rest."""

    key: str
    label: str
    sold: int
    returned: int
    sold_flagged: int
    returned_flagged: int

    @property
    def rate(self) -> float:
        return share(self.returned, self.sold)

    @property
    def rate_without_flagged(self) -> float:
        return share(self.returned - self.returned_flagged, self.sold - self.sold_flagged)

    @property
    def flagged_share_of_returns(self) -> float:
        return share(self.returned_flagged, self.returned)

    @property
    def high_without_flagged(self) -> bool:
        """Still returned often by everyone else: a matter for the description, photos or policy."""
        return (
            self.sold - self.sold_flagged >= MIN_UNITS_FOR_FLAG
            and self.rate_without_flagged >= HIGH_RETURN_RATE
        )

    @property
    def driven_by_flagged(self) -> bool:
        """Most of its returns come from blocked or restricted customers."""
        return self.returned > 0 and self.flagged_share_of_returns >= DRIVEN_SHARE


def win_rate(won: int, lost: int) -> float | None:
    """Won among ended disputes (accepted counts as lost); None when none has ended."""
    return share(won, won + lost) if won + lost else None


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# Longer periods are refused: three years of months is as much as a chart can show readably.
MAX_PERIOD_DAYS = 3 * 366


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months, whole months from the first of the month eleven months back, through today."""
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today


def period_problem(since: date, until: date) -> AnalyticsError | None:
    """Why a period (both days included) cannot be reported on, or None."""
    if since > until:
        return AnalyticsError.period_reversed
    if (until - since).days > MAX_PERIOD_DAYS:
        return AnalyticsError.period_too_long
    return None


# Scores of one band count as the same facts: ten points apart is noise, not a different customer.
SCORE_BAND = 20


def score_band(score: int) -> str:
    """The band a risk score falls in, as "40-59"."""
    low = (max(0, min(score, 99)) // SCORE_BAND) * SCORE_BAND
    high = 100 if low + SCORE_BAND >= 100 else low + SCORE_BAND - 1
    return f"{low}-{high}"
