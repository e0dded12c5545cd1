"""Every example in docs/rules.md is checked: rules compile, evaluations and errors read as shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storeguard.rules import FACTS, RuleError
from storeguard.rules.facts import CHECKOUT_FACTS
from tests.rules.helpers import base_facts, rule

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
BLOCK = re.compile(r"^```([\w-]+)\n(.*?)^```", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text()) if lang == kind]


def doc_rules() -> list[str]:
    # Rules in one block are separated by blank lines; a rule may span several lines.
    return [part.strip() for body in blocks("rule") for part in re.split(r"\n\s*\n", body) if part.strip()]


def test_the_doc_has_examples_of_each_kind() -> None:
    assert len(doc_rules()) >= 25
    assert len(blocks("rule-error")) >= 6
    assert len(blocks("rule-eval")) >= 1


@pytest.mark.parametrize("source", doc_rules())
def test_every_documented_rule_compiles(source: str) -> None:
    compiled = rule(source)
    assert compiled.matches(base_facts()) in (True, False)


@pytest.mark.parametrize("body", blocks("rule-error"))
def test_every_documented_error_reads_exactly_as_shown(body: str) -> None:
    source, expected = body.split("\n---\n")
    with pytest.raises(RuleError) as info:
        rule(source)
    assert f"{info.value.code}: {info.value}" == expected.rstrip("\n")


def test_every_documented_evaluation_holds() -> None:
    checked = 0
    for body in blocks("rule-eval"):
        lines = body.strip().splitlines()
        facts = json.loads(lines[0].removeprefix("# facts:"))
        for line in lines[1:]:
            source, _, expected = line.rpartition("#")
            compiled = rule(source.strip())
            row = base_facts() | facts
            assert compiled.matches(row) is (expected.strip() == "fires"), line
            checked += 1
    assert checked >= 8


def test_every_fact_is_documented() -> None:
    text = DOC.read_text()
    missing = [name for name in FACTS if f"`{name}`" not in text]
    assert missing == []


def test_the_issue_examples_compile() -> None:
    for source in (
        "review if order.total > 500 and customer.orders_count == 0",
        "block if email.domain in @disposable_domains",
        "verify if velocity.orders_per_ip_24h >= 5",
        "block if linked.blocked_customers > 0 and order.has_limited_edition",
    ):
        assert rule(source).source == source


def _evaluated_lines() -> str:
    return "\n".join(line for body in blocks("rule-eval") for line in body.splitlines()[1:])


def test_every_checkout_fact_has_an_evaluated_example() -> None:
    checked = _evaluated_lines()
    missing = [
        name for name in sorted(CHECKOUT_FACTS) if not re.search(rf"\b{re.escape(name)}\b(?!_)", checked)
    ]
    assert missing == []


def test_every_new_operator_has_an_evaluated_example() -> None:
    checked = _evaluated_lines()
    written = ["starts_with(", "ends_with(", "icontains(", "istarts_with(", "iends_with(", "iequals("]
    written += [
        "matches(r'",
        "in_range(@",
        "in_range([",
        "ip.in_range(",
        "len(",
        " in @",
        "billing.city != shipping.city",
    ]
    missing = [text for text in written if text not in checked]
    assert missing == []
