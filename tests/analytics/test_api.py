"""The analytics API over the May store: each report's figures, its CSV, and refused periods."""

from __future__ import annotations

import csv
import io

from storeguard.core.enums import Role
from storeguard.risk.models import CustomerRisk
from tests.analytics.conftest import PERIOD


def _get(client, auth, store, report, **params):
    return client.get(
        f"/v1/analytics/{report}",
        params={**PERIOD, "shop_id": store.shop.id, **params},
        headers=auth(Role.viewer),
    )


def test_traits_compare_the_blocked_customer_with_everyone_else(client, auth, store):
    answer = _get(client, auth, store, "traits").json()

    rows = {(t["trait"], t["value"]): t for t in answer["traits"]}
    assert (answer["flagged_customers"], answer["other_customers"]) == (1, 2)
    assert {
        k: (rows[k]["flagged"], rows[k]["others"], rows[k]["separation"])
        for k in [("country", "SE"), ("country", "NO")]
    } == {
        ("country", "SE"): (1, 0, 1.0),
        ("country", "NO"): (0, 2, -1.0),
    }


def test_traits_rank_the_widest_gaps_first(client, auth, store):
    answer = _get(client, auth, store, "traits").json()

    gaps = [abs(t["separation"]) for t in answer["traits"]]
    assert gaps == sorted(gaps, reverse=True)
    assert answer["traits"][0]["trait"] == "country"


def test_traits_say_why_and_how_soon_the_flagged_were_blocked(client, auth, store):
    answer = _get(client, auth, store, "traits").json()

    assert answer["reason_codes"] == [{"key": "fraud", "count": 1}]
    assert [b for b in answer["days_from_first_order_to_block"] if b["count"]] == [
        {"key": "7-30", "count": 1}
    ]
    assert answer["median_days_to_block"] == 11.0


def test_a_products_returns_are_split_between_the_blocked_customer_and_everyone_else(client, auth, store):
    answer = _get(client, auth, store, "returns").json()

    [hoodie] = answer["products"]
    assert {k: hoodie[k] for k in ("label", "sold", "returned", "sold_flagged", "returned_flagged")} == {
        "label": "Hoodie",
        "sold": 4,
        "returned": 3,
        "sold_flagged": 2,
        "returned_flagged": 2,
    }
    assert (hoodie["rate"], hoodie["rate_without_flagged"], hoodie["driven_by_flagged"]) == (0.75, 0.5, True)


def test_a_refund_with_nothing_sent_back_is_not_a_return(client, auth, store):
    answer = _get(client, auth, store, "returns").json()

    categories = {c["key"]: (c["sold"], c["returned"]) for c in answer["categories"]}
    assert categories == {"apparel": (4, 3), "accessories": (1, 0)}


def test_disputes_give_the_win_rate_by_normalized_reason(client, auth, store):
    answer = _get(client, auth, store, "disputes").json()

    reasons = {g["key"]: (g["count"], g["won"], g["lost"], g["win_rate"]) for g in answer["by_reason"]}
    assert reasons == {"fraud": (1, 1, 0, 1.0), "not_received": (1, 0, 1, 0.0)}
    assert (answer["total"]["amount"], answer["total"]["lost_amount"], answer["total"]["win_rate"]) == (
        100_000,
        50_000,
        0.5,
    )
    assert [(m["key"], m["count"]) for m in answer["by_month"]] == [("2026-05", 2)]


def test_screening_counts_outcomes_per_month_and_reviewers_overrides(client, auth, store):
    answer = _get(client, auth, store, "screening").json()

    assert answer["by_month"] == [{"month": "2026-05", "allow": 1, "verify": 0, "review": 1, "block": 1}]
    velocity = next(h for h in answer["reasons"] if h["code"] == "velocity.email")
    assert (velocity["hits"], velocity["later_bad"], velocity["held"], velocity["override_share"]) == (
        2,
        1,
        1,
        1.0,
    )
    assert answer["reviews"] == {"approved": 1, "cancelled": 0, "waiting": 0}


def test_losses_count_what_was_stopped_and_what_was_lost_in_the_month(client, auth, store):
    answer = _get(client, auth, store, "losses").json()

    [may] = answer["months"]
    assert {
        k: may[k]
        for k in (
            "prevented_orders",
            "prevented",
            "chargebacks",
            "refunds_without_return",
            "fees",
            "suffered",
        )
    } == {
        "prevented_orders": 1,
        "prevented": 100_000,
        "chargebacks": 50_000,
        "refunds_without_return": 20_000,
        "fees": 600,
        "suffered": 70_600,
    }


def test_a_report_downloads_as_csv_with_the_same_figures(client, auth, store):
    answer = client.get(
        "/v1/analytics/returns.csv", params={**PERIOD, "shop_id": store.shop.id}, headers=auth(Role.viewer)
    )

    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert answer.headers["content-type"].startswith("text/csv")
    assert [(r["part"], r["label"], r["sold"], r["returned"]) for r in rows] == [
        ("category", "apparel", "4", "3"),
        ("category", "accessories", "1", "0"),
        ("product", "Hoodie", "4", "3"),
    ]


def test_a_period_ending_before_it_starts_is_refused(client, auth, store):
    answer = _get(client, auth, store, "traits", since="2026-06-01", until="2026-05-01")

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "period_reversed",
        "since",
    )


def test_a_period_longer_than_three_years_is_refused(client, auth, store):
    answer = _get(client, auth, store, "losses", since="2020-01-01", until="2026-05-01")

    assert (answer.status_code, answer.json()["code"]) == (422, "period_too_long")


def test_an_unknown_shop_is_a_404(client, auth, store):
    answer = _get(client, auth, store, "disputes", shop_id=999_999)

    assert (answer.status_code, answer.json()["code"]) == (404, "shop_not_found")


def test_an_unknown_report_is_refused(client, auth, store):
    answer = client.get("/v1/analytics/everything.csv", headers=auth(Role.viewer))

    assert answer.status_code == 422


def _risk(session, customer, score, kinds, segment="neutral"):
    session.add(
        CustomerRisk(
            customer_id=customer.id,
            shop_id=customer.shop_id,
            score=score,
            suggested=segment,
            segment=segment,
            findings=[{"type": k} for k in kinds],
            model_version="test",
        )
    )
    session.flush()


def test_alike_customers_treated_differently_are_shown_side_by_side(client, auth, session, store):
    _risk(session, store.kari, 45, ["serial_returning"])
    _risk(session, store.ola, 50, ["serial_returning"])
    _risk(session, store.per, 48, ["wardrobing"])

    answer = _get(client, auth, store, "consistency").json()

    assert answer["groups"] == [
        {
            "findings": ["serial_returning"],
            "score_band": "40-59",
            "customers": 2,
            "treatments": {"block:block": [store.kari.id], "segment:neutral": [store.ola.id]},
        }
    ]


def test_alike_customers_treated_alike_are_not_reported(client, auth, session, store):
    _risk(session, store.ola, 50, ["serial_returning"])
    _risk(session, store.per, 41, ["serial_returning"])

    answer = _get(client, auth, store, "consistency").json()

    assert answer["groups"] == []
