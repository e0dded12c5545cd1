"""Evaluation: three-valued null semantics, arithmetic, methods, explanations, batches."""

from __future__ import annotations

import pytest

from tests.rules.helpers import base_facts, rule

UNKNOWN_COUNTRY = base_facts(order__ip_country=None, order__total=800.0)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # A comparison with a null side is unknown, and unknown never fires.
        ("order.ip_country == 'NO'", None),
        ("order.ip_country != 'NO'", None),
        ("order.ip_country in ['NO']", None),
        ("order.ip_country not in ['NO']", None),
        ("order.ip_country.lower() == 'no'", None),
        ("order.ip_country.startswith('N')", None),
        # 'not unknown' stays unknown: it cannot flip a missing value into a match.
        ("not (order.ip_country == 'NO')", None),
        ("not (order.ip_country != 'NO')", None),
        ("not not (order.ip_country == 'NO')", None),
        # Kleene logic for and/or.
        ("order.ip_country == 'NO' and true", None),
        ("order.ip_country == 'NO' and false", False),
        ("false and order.ip_country == 'NO'", False),
        ("order.ip_country == 'NO' or true", True),
        ("order.ip_country == 'NO' or false", None),
        ("order.ip_country == 'NO' and order.total > 500 and true", None),
        ("order.ip_country == 'NO' or order.total > 500 or false", True),
        ("not (order.ip_country == 'NO' and false)", True),
        ("not (order.ip_country == 'NO' or true)", False),
        # Explicit null tests always answer.
        ("order.ip_country is null", True),
        ("order.ip_country is not null", False),
        ("not (order.ip_country is null)", False),
    ],
)
def test_null_semantics_table(condition: str, expected: bool | None) -> None:
    compiled = rule(f"block if {condition}")
    assert compiled.evaluate(UNKNOWN_COUNTRY) is expected
    assert compiled.matches(UNKNOWN_COUNTRY) is (expected is True)


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        (
            "customer.chargebacks / customer.orders_count > 0.1",
            {"customer.chargebacks": 1, "customer.orders_count": 5},
            True,
        ),
        (
            "customer.chargebacks / customer.orders_count > 0.1",
            {"customer.chargebacks": 1, "customer.orders_count": 20},
            False,
        ),
        # Integer division would make this 0; the language divides exactly.
        (
            "customer.chargebacks / customer.orders_count == 0.25",
            {"customer.chargebacks": 1, "customer.orders_count": 4},
            True,
        ),
        # Division by zero is unknown, in both directions.
        (
            "customer.chargebacks / customer.orders_count > 0.1",
            {"customer.chargebacks": 1, "customer.orders_count": 0},
            None,
        ),
        (
            "customer.chargebacks / customer.orders_count <= 0.1",
            {"customer.chargebacks": 1, "customer.orders_count": 0},
            None,
        ),
        (
            "customer.chargebacks / customer.orders_count is null",
            {"customer.chargebacks": 1, "customer.orders_count": 0},
            True,
        ),
        ("customer.account_age_days + 1 > 0", {"customer.account_age_days": None}, None),
        ("-customer.account_age_days < 0", {"customer.account_age_days": None}, None),
        ("order.total - order.shipping > 400", {"order.total": 450.0, "order.shipping": 40.0}, True),
        ("order.total * 2 >= 1000", {"order.total": 500.0}, True),
        ("order.total * 1000000000000000 * 1000000000000000 > 1", {"order.total": 1000000000000000}, True),
        ("-order.total < -5", {"order.total": 10.0}, True),
    ],
)
def test_arithmetic(condition: str, facts: dict, expected: bool | None) -> None:
    assert rule(f"review if {condition}").evaluate(base_facts() | facts) is expected


def test_huge_whole_numbers_turn_into_floats() -> None:
    compiled = rule("review if order.item_count * 1000000000000000 * 1000000000000000 > 1")
    assert compiled.evaluate(base_facts(order__item_count=10**15)) is True


def test_infinity_minus_infinity_is_unknown_not_a_match() -> None:
    compiled = rule("block if not (order.total - order.subtotal < 1)")
    facts = base_facts(order__total=float("inf"), order__subtotal=float("inf"))
    assert compiled.evaluate(facts) is None
    assert compiled.matches(facts) is False


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        ("email.address.lower() == 'kari@example.com'", {"email.address": "Kari@Example.com"}, True),
        ("order.source.upper() == 'WEB'", {"order.source": "web"}, True),
        ("order.source.trim() == 'web'", {"order.source": "  web "}, True),
        ("email.address.startswith('promo')", {"email.address": "promo+1@x.com"}, True),
        ("email.address.endswith('.ru')", {"email.address": "a@b.ru"}, True),
        ("email.address.contains('+')", {"email.address": "a+b@c.com"}, True),
        ("order.tags.contains('preorder')", {"order.tags": ["preorder", "sale"]}, True),
        ("order.tags.contains('preorder')", {"order.tags": ["sale"]}, False),
        (
            "order.categories.contains_any(@restricted_categories)",
            {"order.categories": ["shoes", "knives"]},
            True,
        ),
        ("order.categories.contains_any(['x', 'y'])", {"order.categories": ["shoes"]}, False),
        ("order.categories.contains_any([])", {"order.categories": ["shoes"]}, False),
        ("order.tags.length() > 1", {"order.tags": ["a", "b"]}, True),
        ("email.address.length() == 5", {"email.address": "a@b.c"}, True),
        ("email.address.contains(email.domain)", {"email.address": "a@b.c", "email.domain": None}, None),
        ("'sale' in order.tags", {"order.tags": ["sale"]}, True),
        ("'sale' not in order.tags", {"order.tags": ["sale"]}, False),
        ("order.shipping_country in @high_risk_countries", {"order.shipping_country": "NG"}, True),
        ("order.item_count in [1, 2, 3]", {"order.item_count": 2}, True),
        ("order.item_count not in [1, 2, 3]", {"order.item_count": 4}, True),
        ("order.total in [100]", {"order.total": 100.0}, True),
        ("500 < order.total", {"order.total": 600.0}, True),
        ("500 >= order.total", {"order.total": 600.0}, False),
        ("signals.disposable_email", {"signals.disposable_email": True}, True),
        ("not signals.disposable_email", {"signals.disposable_email": True}, False),
        ("order.is_first_order == true", {"order.is_first_order": True}, True),
        (
            "order.shipping_country != order.billing_country",
            {"order.shipping_country": "NO", "order.billing_country": "SE"},
            True,
        ),
        (
            "order.shipping_country != order.billing_country",
            {"order.shipping_country": "NO", "order.billing_country": None},
            None,
        ),
    ],
)
def test_operators_and_methods(condition: str, facts: dict, expected: bool | None) -> None:
    assert rule(f"review if {condition}").evaluate(base_facts() | facts) is expected


def test_disposable_domains_is_built_in() -> None:
    compiled = rule("block if email.domain in @disposable_domains")
    assert compiled.matches(base_facts(email__domain="mailinator.com")) is True
    assert compiled.matches(base_facts(email__domain="example.com")) is False
    assert compiled.matches(base_facts(email__domain=None)) is False


def test_missing_fact_key_counts_as_unknown() -> None:
    assert rule("block if order.ip_country != 'NO'").evaluate({}) is None
    assert rule("block if order.ip_country is null").matches({}) is True


def test_facts_of_the_wrong_type_never_fire_or_raise() -> None:
    compiled = rule("block if order.total > 500 or not (order.tags.contains('x'))")
    wrong = base_facts(order__total="lots", order__tags=5)
    assert compiled.matches(wrong) is False
    assert compiled.evaluate(wrong) is None
    assert compiled.matches_many([wrong, base_facts(order__total=600.0)]) == [False, True]
    assert "could not be evaluated" in compiled.explain(wrong)


def test_constant_parts_are_folded_with_the_same_semantics() -> None:
    assert rule("block if 1 / 0 is null").matches({}) is True
    assert rule("block if 2 * 3 == 6 and 'a'.upper() == 'A'").matches({}) is True
    assert rule("block if not (1 / 0 > 1)").evaluate({}) is None


def test_explain_names_the_facts_that_fired() -> None:
    compiled = rule("review if order.total > 500 and customer.orders_count == 0")
    facts = base_facts(order__total=620.0, customer__orders_count=0)
    assert compiled.explain(facts) == "order.total 620.00 > 500 and customer.orders_count 0 == 0"


def test_explain_shows_only_the_branch_of_an_or_that_fired() -> None:
    compiled = rule("block if email.domain in @disposable_domains or velocity.orders_per_ip_24h >= 5")
    facts = base_facts(email__domain="gmail.com", velocity__orders_per_ip_24h=7)
    assert compiled.explain(facts) == "velocity.orders_per_ip_24h 7 >= 5"


def test_explain_shows_arithmetic_results_lists_and_methods() -> None:
    compiled = rule(
        "review if customer.chargebacks / customer.orders_count > 0.1 "
        "and email.address.lower().endswith('.ru') and order.shipping_country in @high_risk_countries"
    )
    facts = base_facts(
        customer__chargebacks=1,
        customer__orders_count=3,
        email__address="A@B.RU",
        order__shipping_country="RU",
    )
    assert compiled.explain(facts) == (
        "(customer.chargebacks 1 / customer.orders_count 3 = 0.3333) > 0.1 "
        "and (email.address 'A@B.RU'.lower() = 'a@b.ru').endswith('.ru') "
        "and order.shipping_country 'RU' in @high_risk_countries"
    )


def test_explain_of_a_rule_that_did_not_fire_says_what_stopped_it() -> None:
    compiled = rule("review if order.total > 500 and customer.orders_count == 0")
    assert compiled.explain(base_facts(order__total=100.0)) == "order.total 100.00 > 500"
    assert (
        rule("block if order.ip_country != 'NO' and order.total > 1").explain(UNKNOWN_COUNTRY)
        == "order.ip_country null != 'NO'"
    )


def test_explain_of_not_and_null_tests() -> None:
    assert (
        rule("review if not signals.disposable_email and email.domain is null").explain(
            base_facts(email__domain=None)
        )
        == "not (signals.disposable_email false) and email.domain null is null"
    )


def test_matches_many_agrees_with_matches_row_by_row() -> None:
    compiled = rule("review if order.total > 500 and order.ip_country != 'NO'")
    rows = [
        base_facts(order__total=600.0, order__ip_country="SE"),
        base_facts(order__total=600.0, order__ip_country=None),
        base_facts(order__total=100.0, order__ip_country="SE"),
        base_facts(order__total=600.0, order__ip_country="NO"),
    ]
    assert compiled.matches_many(rows) == [True, False, False, False]
    assert compiled.matches_many(iter(rows)) == [True, False, False, False]
    assert compiled.count_matches(rows) == 1
