"""line.properties: a line's properties by name, read with get() and has(), checked when saved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storeguard.rules import RuleError
from storeguard.rules.explain import explain_value
from storeguard.rules.facts import fact_catalogue
from tests.rules.helpers import base_facts, rule

RING = {"line.tags": ["drop"], "line.properties": {"Engraving": "FOR RESALE", "_ref": ""}}
BOX = {"line.tags": [], "line.properties": {}}


def _facts(*lines: dict) -> dict:
    return base_facts() | {"order.lines": tuple(lines)}


def test_get_reads_a_property_by_its_name_ignoring_case_and_spaces() -> None:
    compiled = rule("review if order.lines.any(line.properties.get(' ENGRAVING').icontains('resale'))")
    assert [compiled.matches(_facts(BOX, RING)), compiled.matches(_facts(BOX))] == [True, False]


def test_has_holds_for_a_property_with_an_empty_value() -> None:
    assert rule("review if order.lines.any(line.properties.has('_REF'))").matches(_facts(RING)) is True


def test_a_property_the_line_lacks_is_unknown_so_the_rule_does_not_fire() -> None:
    compiled = rule("block if order.lines.any(line.properties.get('gift message') != 'hi')")
    assert (compiled.evaluate(_facts(RING)), compiled.matches(_facts(RING))) == (None, False)
    assert rule("review if order.lines.all(line.properties.get('gift message') is null)").matches(
        _facts(RING, BOX)
    )


def test_a_property_and_a_product_tag_are_tested_on_the_same_line() -> None:
    compiled = rule(
        "review if order.lines.any(line.tags.contains('drop') and line.properties.has('engraving'))"
    )
    tagged_elsewhere = BOX | {"line.tags": ["drop"]}
    assert compiled.matches(_facts(RING)) is True
    assert compiled.matches(_facts(tagged_elsewhere, RING | {"line.tags": []})) is False


def test_len_counts_a_lines_properties() -> None:
    assert rule("review if order.lines.any(len(line.properties) == 2)").matches(_facts(BOX, RING)) is True


def test_the_explanation_shows_the_properties_read() -> None:
    compiled = rule("review if order.lines.count(line.properties.has('engraving')) == 1")
    assert compiled.explain(_facts(RING, BOX)) == (
        "(order.lines.count(line.properties.has('engraving')) = 1, of 2 lines) == 1"
    )


@pytest.mark.parametrize(
    ("source", "code", "message", "column"),
    [
        (
            "review if order.lines.any(line.properties.contains('x'))",
            "type_mismatch",
            "contains() does not work on line.properties, the line's properties by name; read one with "
            "line.properties.get('engraving').contains(...) or test for one with line.properties.has('engraving')",
            27,
        ),
        (
            "review if order.lines.any(line.properties.get(line.sku) == 'x')",
            "type_mismatch",
            "get() needs the property's name written in quotes, like get('engraving'), not line.sku",
            47,
        ),
        (
            "review if order.lines.any(line.properties.has('   '))",
            "type_mismatch",
            "a property's name is 1 to 100 characters, so no line has a property named '   '",
            47,
        ),
        (
            f"review if order.lines.any(line.properties.has('{'n' * 101}'))",
            "type_mismatch",
            "a property's name is 1 to 100 characters, so no line has a property named 'nnnnnnnnnnnnnnnnnnnn'...",
            47,
        ),
        (
            "review if order.lines.any(line.properties.get('size') > 40)",
            "type_mismatch",
            "cannot compare line.properties.get('size') (text) with 40 (number)",
            27,
        ),
        (
            "review if order.lines.any(line.properties)",
            "type_mismatch",
            "order.lines.any() needs a condition about a line (true or false), but line.properties is "
            "the line's properties (read one with .get('name'))",
            27,
        ),
        (
            "review if order.lines.any(line.sku.has('x'))",
            "type_mismatch",
            "has() works on the line's properties (read one with .get('name')), but line.sku is text",
            27,
        ),
        (
            "review if order.lines.any(line.property.has('x'))",
            "unknown_field",
            "unknown line fact 'line.property'; did you mean line.properties?",
            27,
        ),
    ],
)
def test_a_bad_property_expression_is_refused_when_saved_with_its_place(
    source: str, code: str, message: str, column: int
) -> None:
    with pytest.raises(RuleError) as info:
        rule(source)
    assert (info.value.code, info.value.message, info.value.offset + 1) == (code, message, column)


def test_the_fact_catalogue_documents_line_properties_with_an_example_that_compiles() -> None:
    (spec,) = [f for f in fact_catalogue() if f["name"] == "line.properties"]
    assert (spec["type"], spec["nullable"]) == ("properties", False)
    assert rule(f"review if {spec['example']}").matches(
        _facts(RING | {"line.properties": {"Engraving": "Sale!"}})
    )


NAMES = st.sampled_from(["engraving", "Engraving", " ENGRAVING ", "gift", "_ref", "size"])
PROPERTIES = st.dictionaries(NAMES, st.sampled_from(["", "sale", "SALE now", "x"]), max_size=4)
CONDITIONS = st.sampled_from(
    [
        "line.properties.get('{n}').icontains('sale')",
        "line.properties.get('{n}') == 'x'",
        "line.properties.has('{n}')",
        "not line.properties.has('{n}') or line.properties.get('{n}') is null",
        "len(line.properties) > 1 and line.properties.get('{n}').starts_with('S')",
    ]
)


@given(
    method=st.sampled_from(["any", "all", "count"]),
    condition=CONDITIONS,
    name=NAMES,
    lines=st.lists(PROPERTIES, max_size=4),
)
def test_compiled_property_rules_agree_with_the_reference_interpreter(
    method: str, condition: str, name: str, lines: list[dict[str, str]]
) -> None:
    inner = condition.format(n=name.replace("'", ""))
    tail = " >= 1" if method == "count" else ""
    compiled = rule(f"review if order.lines.{method}({inner}){tail}")
    facts = _facts(*({"line.properties": p} for p in lines))
    assert compiled.evaluate(facts) is explain_value(compiled, facts)
