"""Shared helpers for the rules tests."""

from __future__ import annotations

from typing import Any

from storeguard.rules import FACTS, NamedLists, compile_rule
from storeguard.rules.compiler import CompiledRule
from storeguard.rules.facts import FactType

LISTS = NamedLists(
    {
        "high_risk_countries": ["NG", "RU"],
        "restricted_categories": ["knives", "gift_cards"],
        "trusted_customers": ["kari@example.com"],
        "office_ips": ["203.0.113.0/24", "2001:db8::/32"],
        "blocked_networks": ["203.0.113.0/24"],
        "blocked_bins": ["411111"],
    }
)


def rule(source: str) -> CompiledRule:
    """Compile with the catalogue and the test lists."""
    return compile_rule(source, FACTS, LISTS)


def base_facts(**overrides: Any) -> dict[str, Any]:
    """A complete, unremarkable fact row: every fact present with a neutral value."""
    neutral = {
        FactType.number: 0.0,
        FactType.integer: 0,
        FactType.string: "",
        FactType.bool: False,
        FactType.string_list: [],
        FactType.lines: (),
    }
    facts: dict[str, Any] = {name: neutral[spec.type] for name, spec in FACTS.items()}
    facts.update({k.replace("__", "."): v for k, v in overrides.items()})
    return facts
