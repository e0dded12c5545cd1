"""Chart geometry for the analytics pages: plain numbers a Jinja macro draws as SVG on the server.

No chart library and no script: columns over months (stacked or side by side) and share bars; the
template only places what is computed here. Colours are named by series ("flagged", "others",
"block", ...) and set in the stylesheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 56, 22, 8


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: str
    value: int | float
    label: str  # the column's category, for the tooltip


@dataclass(frozen=True)
class Tick:
    y: float
    value: float


@dataclass
class ColumnChart:
    rects: list[Rect] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)  # x of each category's middle, its text
    series: list[str] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    empty: bool = True


def nice_top(value: float) -> float:
    """A round axis top at or above the largest value: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def columns(
    categories: list[str], series: dict[str, list[int | float]], *, stacked: bool = True, label_every: int = 1
) -> ColumnChart:
    """Columns per category (a month), one segment or bar per series, on an axis with three ticks."""
    chart = ColumnChart(series=list(series))
    if not categories:
        return chart
    totals = [
        sum(values[i] for values in series.values())
        if stacked
        else max((v[i] for v in series.values()), default=0)
        for i in range(len(categories))
    ]
    top = nice_top(max(totals, default=0))
    chart.empty = max(totals, default=0) <= 0
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / len(categories)
    gap = max(slot * 0.25, 2)
    per = 1 if stacked else max(len(series), 1)
    bar_w = (slot - gap) / per
    for i, category in enumerate(categories):
        x0 = LEFT + i * slot + gap / 2
        base = chart.baseline
        for j, (name, values) in enumerate(series.items()):
            value = values[i]
            h = plot_h * value / top if top else 0
            x = x0 if stacked else x0 + j * bar_w
            y = base - h if stacked else chart.baseline - h
            if value > 0:
                chart.rects.append(
                    Rect(round(x, 1), round(y, 1), round(bar_w, 1), round(h, 1), name, value, category)
                )
            if stacked:
                base -= h
        if i % label_every == 0:
            chart.labels.append((round(x0 + (slot - gap) / 2, 1), category))
    chart.ticks = [Tick(round(chart.baseline - plot_h * f, 1), top * f) for f in (0, 0.5, 1)]
    return chart


def month_label(key: str) -> str:
    """ "2026-03" as "03/26": short, the same in every language, and unambiguous on a month axis."""
    return f"{key[5:7]}/{key[2:4]}"
