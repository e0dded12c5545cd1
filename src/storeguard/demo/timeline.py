"""When things happen in the demo year: seasonality, shop hours, business days."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

# Relative order volume by month: quiet January, summer holidays, Black Week and Christmas peaks.
MONTH_WEIGHT = {
    1: 0.7,
    2: 0.75,
    3: 0.9,
    4: 0.9,
    5: 1.0,
    6: 0.9,
    7: 0.7,
    8: 0.9,
    9: 1.0,
    10: 1.1,
    11: 1.7,
    12: 1.9,
}
# UTC offsets (standard time is close enough for when people shop).
UTC_OFFSET = {"NO": 1, "US": -6, "IL": 2, "CN": 8}
# How likely someone shops at each local hour: evenings high, nights low.
HOUR_WEIGHT = [
    0.15,
    0.08,
    0.05,
    0.04,
    0.04,
    0.08,
    0.2,
    0.4,
    0.6,
    0.75,
    0.85,
    0.9,
    1.0,
    0.9,
    0.85,
    0.85,
    0.9,
    0.95,
    1.0,
    1.0,
    1.0,
    0.9,
    0.6,
    0.3,
]


def is_black_week(at: datetime) -> bool:
    """Tell whether ``at`` falls in the week of Black Friday (the fourth Friday of November)."""
    if at.month != 11:
        return False
    first = date(at.year, 11, 1)
    friday = first + timedelta(days=(4 - first.weekday()) % 7 + 21)
    return friday - timedelta(days=4) <= at.date() <= friday + timedelta(days=3)


def shopping_time(rng: random.Random, start: datetime, end: datetime, country: str) -> datetime:
    """Draw a moment between ``start`` and ``end`` weighted by season, Black Week and local hour."""
    span = (end - start).total_seconds()
    if span <= 0:
        return start
    offset = UTC_OFFSET.get(country, 0)
    for _ in range(200):
        at = start + timedelta(seconds=rng.random() * span)
        weight = MONTH_WEIGHT[at.month] * (2.2 if is_black_week(at) else 1.0) / 4.2
        weight *= HOUR_WEIGHT[(at.hour + offset) % 24]
        if rng.random() < weight:
            return at
    return start + timedelta(seconds=rng.random() * span)


def hours(rng: random.Random, low: float, high: float) -> timedelta:
    """Return a random duration between ``low`` and ``high`` hours."""
    return timedelta(hours=rng.uniform(low, high))


def days(rng: random.Random, low: float, high: float) -> timedelta:
    """Return a random duration between ``low`` and ``high`` days."""
    return timedelta(days=rng.uniform(low, high))
