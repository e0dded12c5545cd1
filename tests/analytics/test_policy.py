"""The analytics' pure calculations: ranking traits, flagging products, bands and periods."""

from __future__ import annotations

from datetime import date

from storeguard.analytics.charts import columns, nice_top
from storeguard.analytics.enums import AnalyticsError
from storeguard.analytics.policy import (
    ReturnRate,
    TraitRow,
    band,
    band_label,
    default_period,
    period_problem,
    rank_traits,
    score_band,
    value_bounds,
)


def test_a_trait_rarer_among_the_flagged_ranks_by_the_size_of_its_gap():
    rows = [
        TraitRow("country", "NO", 1, 50, 0.1, 0.5),
        TraitRow("channel", "api", 9, 60, 0.9, 0.6),
        TraitRow("country", "SE", 2, 5, 0.2, 0.05),
    ]

    assert [(r.value, r.separation) for r in rank_traits(rows)] == [("NO", -0.4), ("api", 0.3), ("SE", 0.15)]


def test_a_product_still_returned_often_without_the_restricted_customers_is_flagged():
    rate = ReturnRate("1", "Hoodie", sold=120, returned=40, sold_flagged=20, returned_flagged=10)

    assert (rate.rate_without_flagged, rate.high_without_flagged, rate.driven_by_flagged) == (
        0.3,
        True,
        False,
    )


def test_a_product_with_too_few_sales_is_not_flagged_as_high():
    rate = ReturnRate("1", "Scarf", sold=10, returned=5, sold_flagged=0, returned_flagged=0)

    assert rate.high_without_flagged is False


def test_value_bands_are_round_multiples_of_the_average_order():
    assert value_bounds(123_456, 100) == (620, 1200, 2500, 4900)


def test_a_value_falls_in_the_band_below_its_bound():
    assert [band(v, (1, 7, 30)) for v in (0.5, 1, 29.9, 30)] == [0, 1, 2, 3]
    assert [band_label(i, (1, 7, 30)) for i in range(4)] == ["<1", "1-7", "7-30", "30+"]


def test_the_default_period_is_twelve_whole_months_through_today():
    assert default_period(date(2026, 3, 15)) == (date(2025, 4, 1), date(2026, 3, 15))


def test_a_period_is_refused_when_reversed_or_too_long():
    assert period_problem(date(2026, 5, 2), date(2026, 5, 1)) is AnalyticsError.period_reversed
    assert period_problem(date(2020, 1, 1), date(2026, 1, 1)) is AnalyticsError.period_too_long
    assert period_problem(date(2026, 5, 1), date(2026, 5, 1)) is None


def test_an_axis_tops_at_a_round_number():
    assert [nice_top(v) for v in (0, 7, 120, 2400)] == [1, 10, 200, 2500]


def test_stacked_columns_stand_on_each_other():
    chart = columns(["05/26"], {"won": [1], "lost": [3]})

    won, lost = chart.rects
    assert (won.y + won.height, lost.y + lost.height) == (chart.baseline, won.y)


def test_scores_ten_points_apart_can_share_a_band():
    assert [score_band(s) for s in (0, 45, 59, 60, 100)] == ["0-19", "40-59", "40-59", "60-79", "80-100"]
