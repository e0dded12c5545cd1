"""Merchant rules: a small, safe expression language compiled to closures, versioned in the database.

The in-process interface screening uses::

    from storeguard.rules import FACTS, compile_rule
    rule = compile_rule("review if order.total > 500", lists=resolver)
    rule.action, rule.matches(facts), rule.explain(facts), rule.matches_many(rows)

and ``storeguard.rules.service.active_ruleset(session, shop_id)`` for the saved, enabled rules.
"""

from storeguard.rules.compiler import CompiledRule, compile_rule
from storeguard.rules.errors import RuleError, RuleErrorCode, RuleSyntaxError
from storeguard.rules.facts import FACTS, FactSpec, FactType
from storeguard.rules.named_lists import ListResolver, NamedLists, register_builtin_list

__all__ = [
    "FACTS",
    "CompiledRule",
    "FactSpec",
    "FactType",
    "ListResolver",
    "NamedLists",
    "RuleError",
    "RuleErrorCode",
    "RuleSyntaxError",
    "compile_rule",
    "register_builtin_list",
]
