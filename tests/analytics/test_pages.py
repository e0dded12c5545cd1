"""The analytics pages: each report with its chart and table, the CSV link, the period form."""

from __future__ import annotations

import pytest

from tests.analytics.conftest import PERIOD

REPORTS = ["traits", "returns", "disputes", "screening", "losses", "consistency"]


@pytest.mark.parametrize("report", REPORTS)
def test_each_report_page_shows_its_figures_for_the_period(client, login, store, report):
    login("viewer")

    page = client.get(f"/analytics/{report}", params={**PERIOD, "shop_id": store.shop.id})

    assert page.status_code == 200
    assert (
        f'href="/analytics/{report}.csv?since=2026-05-01&amp;until=2026-05-31&amp;shop_id={store.shop.id}"'
        in page.text
    )


def test_the_returns_page_marks_a_product_returned_mostly_by_restricted_customers(client, login, store):
    login("viewer")

    page = client.get("/analytics/returns", params=PERIOD)

    assert "Hoodie" in page.text
    assert "Mostly restricted customers" in page.text


def test_the_losses_page_draws_prevented_and_suffered_as_svg_columns(client, login, store):
    login("viewer")

    page = client.get("/analytics/losses", params=PERIOD)

    assert page.text.count('<rect class="s-prevented"') == 1
    assert page.text.count('<rect class="s-suffered"') == 1


def test_the_csv_link_gives_the_reports_table(client, login, store):
    login("viewer")

    answer = client.get("/analytics/losses.csv", params=PERIOD)

    assert answer.text.splitlines()[1] == "2026-05,1,100000,50000,20000,600,0,0,0,70600"


def test_analytics_opens_on_the_traits_report_keeping_the_period(client, login, store):
    login("viewer")

    answer = client.get("/analytics", params=PERIOD, follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/analytics/traits?since=2026-05-01&until=2026-05-31",
    )


def test_a_reversed_period_on_the_page_is_refused_with_its_reason(client, login, store):
    login("viewer")

    page = client.get("/analytics/traits", params={"since": "2026-06-01", "until": "2026-05-01"})

    assert page.status_code == 422
