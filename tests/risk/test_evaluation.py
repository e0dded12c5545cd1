"""Measuring the findings against a ground truth: latent abusers, traps and clusters. No database."""

from storeguard.risk.enums import FindingType, Segment
from storeguard.risk.evaluation import check_clusters, evaluate
from storeguard.risk.policy import Assessment, Finding, Summary

SUMMARY = Summary(
    orders=3,
    order_value=150_000,
    delivered=3,
    cancelled=0,
    returns=0,
    orders_returned=0,
    returned_value=0,
    return_ratio_by_count=0.0,
    return_ratio_by_value=0.0,
    refunds_without_return=0,
    chargebacks=0,
    not_received_claims=0,
    median_days_to_return=None,
    true_loss=0,
)


def assessment(cid: int, *types: FindingType, segment: Segment = Segment.good) -> Assessment:
    findings = tuple(Finding(t, 0.9, "found") for t in types)
    return Assessment(cid, SUMMARY, findings, 50 if types else 0, (), segment)


def test_an_abuser_with_no_abuse_in_the_data_yet_is_left_out_of_recall():
    truth = [
        {"id": 1, "type": "chargeback_abuser", "acts": 2},
        {"id": 2, "type": "chargeback_abuser", "acts": 0},
    ]
    found = {1: assessment(1, FindingType.chargeback_abuse), 2: assessment(2)}

    result = evaluate(found, truth)

    score = result.per_type["chargeback_abuser"]
    assert (score.support, score.caught, score.recall) == (1, 1, 1.0)
    assert result.latent["chargeback_abuser"] == 1
    assert (result.overall.support, result.overall.caught) == (1, 1)


def test_a_latent_abuser_who_is_flagged_still_counts_as_a_right_flag():
    truth = [{"id": 2, "type": "chargeback_abuser", "acts": 0}]

    result = evaluate({2: assessment(2, FindingType.chargeback_abuse)}, truth)

    assert result.per_type["chargeback_abuser"].precision == 1.0


def test_honest_customers_in_a_trap_are_counted_per_trap():
    truth = [
        {"id": 1, "type": "good", "traps": ["household"]},
        {"id": 2, "type": "good", "traps": ["household", "campus"]},
        {"id": 3, "type": "vip"},
    ]
    found = {
        1: assessment(1),
        2: assessment(2, FindingType.serial_returning, segment=Segment.watch),
        3: assessment(3),
    }

    result = evaluate(found, truth)

    assert result.traps == {"campus": (1, 1, 1), "household": (1, 1, 2)}


def test_a_cluster_of_an_evader_and_the_account_they_came_back_from_joins_no_strangers():
    truth = [{"id": 1, "type": "wardrober"}, {"id": 2, "type": "evader", "original_customer_id": 1}]

    check = check_clusters({1: 10, 2: 10}, truth)

    assert (check.clusters, check.joining_unrelated, check.examples) == (1, 0, ())


def test_a_cluster_of_two_housemates_joins_strangers():
    truth = [
        {"id": 1, "type": "good", "traps": ["household"]},
        {"id": 2, "type": "good", "traps": ["household"]},
        {"id": 3, "type": "good"},
    ]

    check = check_clusters({1: 10, 2: 10, 3: None}, truth)

    assert (check.clusters, check.joining_unrelated, check.examples) == (1, 1, ((1, 2),))


def test_a_customer_alone_is_no_cluster():
    check = check_clusters({1: 10, 2: 11}, [{"id": 1, "type": "good"}, {"id": 2, "type": "good"}])

    assert (check.clusters, check.joining_unrelated) == (0, 0)


def test_the_figures_name_the_clusters_joining_strangers():
    truth = [{"id": 1, "type": "good"}, {"id": 2, "type": "good"}]

    figures = evaluate({}, truth, cluster_of={1: 7, 2: 7}).as_dict()

    assert figures["clusters"] == {"clusters": 1, "joining_unrelated": 1, "examples": [[1, 2]]}


def test_a_serial_returning_finding_on_a_bracketer_is_right_but_does_not_catch_them():
    truth = [{"id": 1, "type": "bracketer", "acts": 3}]

    result = evaluate({1: assessment(1, FindingType.serial_returning)}, truth)

    assert result.per_type["serial_returner"].precision == 1.0
    assert result.per_type["bracketer"].recall == 0.0


def test_a_wardrobing_finding_on_a_bracketer_is_wrong():
    truth = [{"id": 1, "type": "bracketer", "acts": 3}]

    result = evaluate({1: assessment(1, FindingType.wardrobing)}, truth)

    assert result.per_type["wardrober"].precision == 0.0


def test_an_abuser_whose_abuse_is_not_knowable_yet_is_left_out_of_recall():
    truth = [
        {"id": 1, "type": "late_claimer", "acts": 2, "knowable": True},
        {"id": 2, "type": "late_claimer", "acts": 1, "knowable": False},
    ]
    found = {1: assessment(1, FindingType.late_claims), 2: assessment(2)}

    result = evaluate(found, truth)

    score = result.per_type["late_claimer"]
    assert (score.support, score.caught, score.recall) == (1, 1, 1.0)
    assert result.latent["late_claimer"] == 1
