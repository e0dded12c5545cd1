"""Save-time checks: unknown names with suggestions, and every type mismatch refused."""

from __future__ import annotations

import pytest

from storeguard.rules import FACTS, NamedLists, RuleError, compile_rule
from storeguard.rules.facts import CHECKOUT_FACTS, LINE_FACTS, fact_catalogue
from tests.rules.helpers import rule


def refusal(source: str) -> RuleError:
    with pytest.raises(RuleError) as info:
        rule(source)
    return info.value


def test_unknown_fact_is_named_with_a_suggestion_and_its_place() -> None:
    err = refusal("review if order.totl > 500")
    assert err.code == "unknown_field"
    assert err.message == "unknown fact 'order.totl'; did you mean order.total?"
    assert (err.line, err.column) == (1, 11)
    assert err.caret == "review if order.totl > 500\n          ^^^^^^^^^^"


def test_unknown_fact_without_a_close_match_points_at_the_catalogue() -> None:
    err = refusal("review if weather.rain")
    assert err.code == "unknown_field"
    assert err.message == "unknown fact 'weather.rain'; see the list of facts (GET /v1/rules/facts)"


def test_velocity_windows_are_only_the_precomputed_ones() -> None:
    err = refusal("verify if velocity.orders_per_ip_2h >= 5")
    assert err.code == "unknown_field"
    assert "did you mean velocity.orders_per_ip_" in err.message


def test_unknown_list_is_refused_with_a_suggestion() -> None:
    err = refusal("block if email.domain in @disposible_domains")
    assert err.code == "unknown_list"
    assert err.message == "there is no named list @disposible_domains; did you mean @disposable_domains?"
    assert err.column == 26


def test_unknown_method_lists_the_methods() -> None:
    err = refusal("review if email.address.lowr() == 'x'")
    assert err.code == "unknown_method"
    assert err.message.startswith(
        "there is no method lowr(); did you mean lower()? methods are lower(), upper()"
    )


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("block if order.total > '500'", "cannot compare order.total (number) with '500' (text)", 10),
        ("block if order.currency == 5", "cannot compare order.currency (text) with 5 (number)", 10),
        (
            "block if order.is_first_order == 1",
            "cannot compare order.is_first_order (true/false) with 1 (number)",
            10,
        ),
        ("block if order.currency > 'EUR'", "'>' compares numbers; text can only use '==' or '!='", 10),
        ("block if order.tags == ['a']", "order.tags is a list and cannot be compared with '=='", 10),
        ("block if order.currency in 'EUR'", "'in' needs a list on its right, but 'EUR' is text", 28),
        (
            "block if order.currency in order.total",
            "'in' needs a list on its right, but order.total is a number",
            28,
        ),
        (
            "block if order.tags in @high_risk_countries",
            "write order.tags.contains_any(@high_risk_countries)",
            10,
        ),
        ("block if order.total in ['a']", "order.total is a number but ['a'] is a list of text", 10),
        ("block if order.currency in [1, 2]", "order.currency is text but [1, 2] is a list of numbers", 10),
        ("block if order.has_high_value in [1]", "'in' looks up text or numbers", 10),
        ("block if order.currency in ['a', 1]", "a list must hold only text or only numbers", 28),
        ("block if order.currency * 2 > 1", "only numbers can be multiplied, but order.currency is text", 10),
        ("block if order.currency + 'x' == 'y'", "only numbers can be added", 10),
        ("block if -order.currency == 'x'", "only a number can be negated", 11),
        (
            "block if not order.total",
            "'not' needs a condition (true or false), but order.total is a number",
            14,
        ),
        ("block if order.total and order.has_high_value", "'and' needs a condition", 10),
        ("block if order.total", "the condition must be true or false, but order.total is a number", 10),
        ("block if order.currency", "the condition must be true or false, but order.currency is text", 10),
        ("block if order.total.lower() == 'x'", "lower() works on text, but order.total is a number", 10),
        ("block if order.currency.startswith(1)", "startswith() needs text, but 1 is a number", 36),
        ("block if order.currency.startswith()", "startswith() takes one value, but was given 0", 10),
        ("block if order.currency.lower('x') == 'x'", "lower() takes no values, but was given 1", 10),
        ("block if order.currency.contains_any(['a'])", "contains_any() works on a list of text", 10),
        ("block if order.tags.contains_any('a')", "contains_any() needs a list of text or an empty list", 34),
    ],
)
def test_type_mismatches_are_refused_at_save_time(source: str, message: str, column: int) -> None:
    err = refusal(source)
    assert err.code == "type_mismatch"
    assert message in err.message
    assert err.column == column


def test_integer_and_number_facts_compare_with_each_other() -> None:
    assert rule("review if customer.orders_count < order.total").action == "review"


def test_compiled_rule_reports_fields_and_lists_used() -> None:
    compiled = rule("block if email.domain in @disposable_domains and order.total > 50")
    assert compiled.fields_used == frozenset({"email.domain", "order.total"})
    assert compiled.lists_used == frozenset({"disposable_domains"})
    assert compiled.action == "block"


def test_a_custom_catalogue_limits_what_rules_may_read() -> None:
    only_total = {"order.total": FACTS["order.total"]}
    assert compile_rule("review if order.total > 1", only_total, NamedLists()).action == "review"
    with pytest.raises(RuleError) as info:
        compile_rule("review if customer.orders_count > 1", only_total, NamedLists())
    assert info.value.code == "unknown_field"


def test_fact_catalogue_holds_the_contract_minimum() -> None:
    names = {f["name"] for f in fact_catalogue()}
    for required in (
        "order.total",
        "order.max_variants_of_one_product",
        "email.is_disposable",
        "customer.return_ratio",
        "linked.blocked_customers",
        "signals.high_refund_ratio",
        "velocity.orders_per_address_30d",
        "velocity.amount_per_card_7d",
        "customer.risk_score",
        "customer.findings",
        "customer.finding_bracketing",
    ):
        assert required in names
    # 93, the checkout's 47 (tests/screening/test_checkout_facts.py), risk's 10, order.lines and its 11 line facts
    assert len(names) == 162
    checkout = {n for n in names if n.split(".")[0] in ("card", "billing", "shipping", "browser")}
    nullable = {f["name"] for f in fact_catalogue() if f["nullable"]} - checkout
    assert nullable - {
        "order.shipping_method",
        "email.local_part",
        "email.local_digits",
        "ip.prefix24",
        "ip.prefix48",
        "customer.first_name",
        "customer.last_name",
        "line.category",
    } == {
        "order.shipping_country",
        "order.billing_country",
        "order.ip_country",
        "email.address",
        "email.domain",
        "phone.country",
        "ip.address",
        "customer.account_age_days",
        "customer.platform_account_state",
    }


def test_every_fact_example_compiles_and_reads_its_fact() -> None:
    examples = {f["name"]: f["example"] for f in fact_catalogue() if "example" in f}
    assert set(examples) == CHECKOUT_FACTS | {"order.lines"} | set(LINE_FACTS)
    for name, example in examples.items():
        # A line fact is read inside order.lines.any/all/count(...): the rule reads order.lines.
        read = "order.lines" if name.startswith("line.") else name
        assert read in rule(f"review if {example}").fields_used, name
        assert name in example, name
