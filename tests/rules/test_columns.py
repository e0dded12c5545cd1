"""A rule run column by column over many orders fires on exactly the orders ``matches`` fires on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from storeguard.rules.columns import firing_rows
from storeguard.rules.nodes import Node, Rule, depth, unparse, walk
from storeguard.rules.parser import MAX_DEPTH, MAX_NODES
from tests.rules.helpers import rule
from tests.rules.strategies import bool_expr, draw_facts

settings.register_profile("columns", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("columns")

# Values of the wrong type, as a fact from a damaged row could hold: a part reading one raises.
WRONG = ["text", 7, 2.5, ["NO"], True]


def _columns(rows: list[dict[str, Any]], asked: list[tuple[str, tuple[int, ...]]]):  # noqa: ANN202
    def column(name: str, wanted: Sequence[int]) -> list[Any]:
        asked.append((name, tuple(wanted)))
        return [rows[i].get(name) for i in wanted]

    return column


@given(bool_expr(3), st.data())
@settings(max_examples=300)
def test_a_rule_fires_column_by_column_where_it_fires_order_by_order(
    condition: Node, data: st.DataObject
) -> None:
    tree = Rule("block", condition)
    assume(len(walk(tree)) <= MAX_NODES and depth(tree) <= MAX_DEPTH)
    compiled = rule(unparse(tree))
    rows = [draw_facts(data, compiled.fields_used) for _ in range(data.draw(st.integers(1, 8)))]
    # now and then a fact of the wrong type: the rule must not fire where reading it raises
    for facts in rows:
        if facts and data.draw(st.booleans()):
            facts[data.draw(st.sampled_from(sorted(facts)))] = data.draw(st.sampled_from(WRONG))
    expected = [i for i, facts in enumerate(rows) if compiled.matches(facts)]
    asked: list[tuple[str, tuple[int, ...]]] = []
    assert firing_rows(compiled, range(len(rows)), _columns(rows, asked)) == expected
    dear = frozenset(data.draw(st.sets(st.sampled_from(sorted(compiled.fields_used) or ["x"]))))
    assert firing_rows(compiled, range(len(rows)), _columns(rows, []), dear) == expected


def test_a_part_is_read_only_on_the_orders_the_earlier_parts_left_undecided() -> None:
    compiled = rule("block if order.total > 100 or customer.orders_count > 3")
    rows = [
        {"order.total": 150.0, "customer.orders_count": 0},
        {"order.total": 50.0, "customer.orders_count": 5},
    ]
    asked: list[tuple[str, tuple[int, ...]]] = []
    assert firing_rows(compiled, [0, 1], _columns(rows, asked)) == [0, 1]
    assert asked == [("order.total", (0, 1)), ("customer.orders_count", (1,))]


def test_a_dear_fact_is_read_last_and_only_where_the_others_leave_the_answer_open() -> None:
    compiled = rule("review if customer.segment == 'watch' and signals.has_chargebacks")
    rows = [
        {"customer.segment": "watch", "signals.has_chargebacks": False},
        {"customer.segment": "watch", "signals.has_chargebacks": True},
        {"customer.segment": "good", "signals.has_chargebacks": False},
    ]
    asked: list[tuple[str, tuple[int, ...]]] = []
    assert firing_rows(compiled, [0, 1, 2], _columns(rows, asked), frozenset({"customer.segment"})) == [1]
    assert asked == [("signals.has_chargebacks", (0, 1, 2)), ("customer.segment", (1,))]


def test_a_dear_fact_keeps_its_place_beside_a_part_that_can_raise() -> None:
    # 'order.total > 100' meets a text on the first order: read first, the segment would hide that error
    compiled = rule("review if customer.segment == 'watch' and order.total > 100")
    rows = [
        {"customer.segment": "good", "order.total": "oops"},
        {"customer.segment": "watch", "order.total": 150.0},
    ]
    asked: list[tuple[str, tuple[int, ...]]] = []
    assert firing_rows(compiled, [0, 1], _columns(rows, asked), frozenset({"customer.segment"})) == [1]
    assert asked[0] == ("customer.segment", (0, 1))
