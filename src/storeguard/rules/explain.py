"""Explanations: a small interpreter that says which facts decided a rule, with their values.

It has the same semantics as the compiled closures (a property test holds them equal) and runs only
when someone needs the sentence, e.g. for the reasons of a screening decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from storeguard.rules.facts import FactType
from storeguard.rules.nodes import (
    Arith,
    Bool,
    BoolOp,
    Call,
    Compare,
    Field,
    In,
    IsNull,
    ListLit,
    ListRef,
    Neg,
    Node,
    Not,
    Num,
    Str,
    format_literal,
    format_number,
    unparse,
)
from storeguard.rules.semantics import CMP, arith, call_method


class CompiledRule(Protocol):
    """What explaining needs of a compiled rule (``compiler.CompiledRule`` is one)."""

    tree: Node
    facts: Any
    lists: Any


Facts = Mapping[str, Any]


def format_value(value: Any, kind: FactType | None = None) -> str:
    """Write a fact's value for a person: money with two decimals, text quoted, lists short."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if kind is FactType.lines:
        return f"({len(value)} lines)"
    if type(value) is float and kind is not FactType.integer:  # money, the commonest case, first
        if abs(value * 100 - round(value * 100)) < 1e-6:
            return f"{value:.2f}"
        return f"{value:.4f}".rstrip("0")
    if isinstance(value, str):
        return format_literal(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and kind != FactType.integer:
            if abs(value * 100 - round(value * 100)) < 1e-6:
                return f"{value:.2f}"
            return f"{value:.4f}".rstrip("0")
        return format_number(value)
    if isinstance(value, Mapping):  # a line's properties, by name
        pairs = list(value.items())
        shown = ", ".join(f"{format_literal(str(k))}: {format_value(v)}" for k, v in pairs[:10])
        return f"{{{shown}{', ...' if len(pairs) > 10 else ''}}}"
    if isinstance(value, Iterable):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        shown = ", ".join(format_value(v) for v in items[:10])
        return f"[{shown}{', ...' if len(items) > 10 else ''}]"
    return str(value)


def _three(values: list[Any], op: str) -> bool | None:
    decisive = op == "or"  # True decides an 'or', False decides an 'and'
    if any(v is decisive for v in values):
        return decisive
    if all(v is (not decisive) for v in values):
        return not decisive
    return None


def explain_node(node: Node, facts: Facts, rule: CompiledRule) -> tuple[Any, str]:
    match node:
        case Field(name=name):
            value = facts.get(name)
            spec = rule.facts.get(name)
            return value, f"{name} {format_value(value, spec.type if spec else None)}"
        case ListRef(name=name):
            return rule.lists[name], f"@{name}"
        case Str(value=v) | Num(value=v) | Bool(value=v):
            return v, unparse(node)
        case ListLit(values=values):
            return frozenset(values), unparse(node)
        case Not(operand=operand):
            v, text = explain_node(operand, facts, rule)
            return (None if v is not True and v is not False else not v), f"not ({text})"
        case BoolOp(op=op, operands=operands):
            parts = [explain_node(o, facts, rule) for o in operands]
            value = _three([v for v, _ in parts], op)
            if value is None:
                shown = [t for v, t in parts if v is not True and v is not False]
            elif value is (op == "or"):
                shown = [t for v, t in parts if v is value]
            else:
                shown = [t for _, t in parts]
            return value, f" {op} ".join(shown)
        case Compare(op=op, left=left, right=right):
            (a, ta), (b, tb) = explain_node(left, facts, rule), explain_node(right, facts, rule)
            return (None if a is None or b is None else CMP[op](a, b)), f"{ta} {op} {tb}"
        case In(left=left, right=right, negated=negated):
            (a, ta), (b, tb) = explain_node(left, facts, rule), explain_node(right, facts, rule)
            value = None if a is None or b is None else ((a not in b) if negated else (a in b))
            return value, f"{ta} {'not in' if negated else 'in'} {tb}"
        case IsNull(operand=operand, negated=negated):
            v, text = explain_node(operand, facts, rule)
            return (v is not None) if negated else (
                v is None
            ), f"{text} is {'not null' if negated else 'null'}"
        case Arith(op=op, left=left, right=right):
            (a, ta), (b, tb) = explain_node(left, facts, rule), explain_node(right, facts, rule)
            value = arith(op, a, b)
            return value, f"({ta} {op} {tb} = {format_value(value)})"
        case Neg(operand=operand):
            v, text = explain_node(operand, facts, rule)
            value = None if v is None else -v
            return value, f"-({text})"
        case Call(receiver=receiver, method=method, args=args) if method in LINE_METHODS:
            lines = facts.get("order.lines") if isinstance(receiver, Field) else None
            values = [explain_node(args[0], line, rule)[0] for line in lines or ()]
            return _lines_explained(method, lines, values, unparse(node))
        case Call(receiver=receiver, method=method, args=args):
            r, tr = explain_node(receiver, facts, rule)
            evaluated = [explain_node(a, facts, rule) for a in args]
            value = call_method(method, r, [v for v, _ in evaluated])
            text = f"{tr}.{method}({', '.join(t for _, t in evaluated)})"
            if value is True or value is False:
                return value, text
            return value, f"({text} = {format_value(value)})"
    raise TypeError(f"not a rule node: {node!r}")


LINE_METHODS = ("any", "all", "count")  # the line predicates (checker.LINE_METHODS)


def _lines_explained(method: str, lines: Any, values: list[Any], written: str) -> tuple[Any, str]:
    """The value of a line predicate, as the compiled rule gives it, and how many lines held."""
    if lines is None:
        return None, f"({written} = unknown)"
    held = sum(1 for v in values if v is True)
    if method == "count":
        value: Any = held
    elif method == "any":
        value = True if held else (None if None in values else False)
    else:
        value = False if False in values else (None if None in values else True)
    of = f"{held} of {len(values)} lines"
    return value, (
        f"{written} ({of})" if method != "count" else f"({written} = {held}, of {len(values)} lines)"
    )


def explain_value(rule: CompiledRule, facts: Facts) -> bool | None:
    """Evaluate with the explaining interpreter (the reference semantics the closures must match)."""
    try:
        value = explain_node(rule.tree.condition, facts, rule)[0]
    except Exception:
        return None
    return value if (value is True or value is False) else None


Explainer = Callable[[Facts], tuple[Any, str]]


def compile_explainer(node: Node, rule: CompiledRule) -> Explainer:
    """Build ``explain_node`` for one rule as closures: the literal text and dispatch are worked out once.

    Screening explains every rule that fires on every order, so the tree walk (a ``match`` per node
    and ``unparse`` of every literal) was a real share of a decision. The closures give the same
    value and the same text as ``explain_node`` (a property test holds them equal).
    """
    match node:
        case Field(name=name):
            spec = rule.facts.get(name)
            kind = spec.type if spec else None

            def field(facts: Facts) -> tuple[Any, str]:
                value = facts.get(name)
                return value, f"{name} {format_value(value, kind)}"

            return field
        case ListRef() | Str() | Num() | Bool() | ListLit():
            constant = explain_node(node, {}, rule)
            return lambda facts: constant
        case Not(operand=operand):
            inner = compile_explainer(operand, rule)

            def not_(facts: Facts) -> tuple[Any, str]:
                v, text = inner(facts)
                return (None if v is not True and v is not False else not v), f"not ({text})"

            return not_
        case BoolOp(op=op, operands=operands):
            parts_of = [compile_explainer(o, rule) for o in operands]
            joiner = f" {op} "
            decisive = op == "or"

            def bool_op(facts: Facts) -> tuple[Any, str]:
                parts = [p(facts) for p in parts_of]
                value = _three([v for v, _ in parts], op)
                if value is None:
                    shown = [t for v, t in parts if v is not True and v is not False]
                elif value is decisive:
                    shown = [t for v, t in parts if v is value]
                else:
                    shown = [t for _, t in parts]
                return value, joiner.join(shown)

            return bool_op
        case Compare(op=op, left=left, right=right):
            lf, rf, cmp = compile_explainer(left, rule), compile_explainer(right, rule), CMP[op]

            def compare(facts: Facts) -> tuple[Any, str]:
                (a, ta), (b, tb) = lf(facts), rf(facts)
                return (None if a is None or b is None else cmp(a, b)), f"{ta} {op} {tb}"

            return compare
        case In(left=left, right=right, negated=negated):
            lf, rf = compile_explainer(left, rule), compile_explainer(right, rule)
            word = "not in" if negated else "in"

            def in_(facts: Facts) -> tuple[Any, str]:
                (a, ta), (b, tb) = lf(facts), rf(facts)
                value = None if a is None or b is None else ((a not in b) if negated else (a in b))
                return value, f"{ta} {word} {tb}"

            return in_
        case IsNull(operand=operand, negated=negated):
            inner = compile_explainer(operand, rule)
            suffix = " is not null" if negated else " is null"

            def is_null(facts: Facts) -> tuple[Any, str]:
                v, text = inner(facts)
                return (v is not None) if negated else (v is None), text + suffix

            return is_null
        case Arith(op=op, left=left, right=right):
            lf, rf = compile_explainer(left, rule), compile_explainer(right, rule)

            def arith_(facts: Facts) -> tuple[Any, str]:
                (a, ta), (b, tb) = lf(facts), rf(facts)
                value = arith(op, a, b)
                return value, f"({ta} {op} {tb} = {format_value(value)})"

            return arith_
        case Neg(operand=operand):
            inner = compile_explainer(operand, rule)

            def neg(facts: Facts) -> tuple[Any, str]:
                v, text = inner(facts)
                return (None if v is None else -v), f"-({text})"

            return neg
        case Call(receiver=receiver, method=method, args=args) if method in LINE_METHODS:
            inner = compile_explainer(args[0], rule)
            written = unparse(node)

            def lines_call(facts: Facts) -> tuple[Any, str]:
                lines = facts.get("order.lines")
                values = [inner(line)[0] for line in lines or ()]
                return _lines_explained(method, lines, values, written)

            return lines_call
        case Call(receiver=receiver, method=method, args=args):
            rf = compile_explainer(receiver, rule)
            args_of = [compile_explainer(a, rule) for a in args]

            def call(facts: Facts) -> tuple[Any, str]:
                r, tr = rf(facts)
                evaluated = [a(facts) for a in args_of]
                value = call_method(method, r, [v for v, _ in evaluated])
                text = f"{tr}.{method}({', '.join(t for _, t in evaluated)})"
                if value is True or value is False:
                    return value, text
                return value, f"({text} = {format_value(value)})"

            return call
    raise TypeError(f"not a rule node: {node!r}")
