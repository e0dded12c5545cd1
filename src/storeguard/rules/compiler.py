"""Compile a checked rule into nested Python closures, and explain what made it fire.

No user text is ever handed to ``eval``, ``exec``, ``compile`` or Python's ``ast``: the tree
from :mod:`storeguard.rules.parser` is turned into closures that only read ``facts.get(name)``.

Null semantics (three-valued logic): every sub-expression is true, false or unknown (None).
A missing fact is unknown; arithmetic or a method on unknown is unknown; division by zero is
unknown; a comparison, ``in`` or ``not in`` with an unknown operand is unknown; ``not unknown``
is unknown; ``unknown and false`` is false, ``unknown or true`` is true, otherwise unknown wins.
A rule fires only when its condition is exactly true, so an unknown value can never make a
rule (a ``block`` rule above all) fire. ``x is null`` / ``x is not null`` test it explicitly.
Any error while evaluating (facts of the wrong type) also counts as not firing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from storeguard.rules.checker import Checker
from storeguard.rules.facts import FACTS, FactSpec, FactType
from storeguard.rules.named_lists import ListResolver, NamedLists
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
    Rule,
    Str,
    format_literal,
    format_number,
    unparse,
)
from storeguard.rules.parser import parse

Facts = Mapping[str, Any]
Fn = Callable[[Facts], Any]

# Whole numbers past this size turn into floats, so no rule can grow a huge integer.
INT_LIMIT = 10**18
_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _num(value: int | float) -> int | float | None:
    if value != value:  # NaN (inf - inf) is unknown, not a number that compares false
        return None
    if type(value) is int and (value > INT_LIMIT or value < -INT_LIMIT):
        return float(value)
    return value


def arith(op: str, a: Any, b: Any) -> Any:
    """Apply ``+ - * /`` with the language's rules: unknown in, unknown out; x / 0 is unknown."""
    if a is None or b is None:
        return None
    if op == "+":
        return _num(a + b)
    if op == "-":
        return _num(a - b)
    if op == "*":
        return _num(a * b)
    return None if b == 0 else _num(a / b)


def call_method(method: str, receiver: Any, args: Sequence[Any]) -> Any:
    """Apply one whitelisted method; unknown receiver or argument gives unknown."""
    if receiver is None or any(a is None for a in args):
        return None
    if method == "lower":
        return receiver.lower()
    if method == "upper":
        return receiver.upper()
    if method == "trim":
        return receiver.strip()
    if method == "startswith":
        return receiver.startswith(args[0])
    if method == "endswith":
        return receiver.endswith(args[0])
    if method == "contains":
        return args[0] in receiver
    if method == "contains_any":
        return not frozenset(args[0]).isdisjoint(receiver)
    if method == "length":
        return len(receiver)
    raise ValueError(f"unknown method {method}")


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _fn(x: Fn | _Const) -> Fn:
    if isinstance(x, _Const):
        value = x.value
        return lambda f: value
    return x


def _field_compare(name: str, op: str, c: Any) -> Fn:
    # One closure per operator: the comparison inlines, which halves the cost of the common case.
    if op == ">":

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v > c
    elif op == ">=":

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v >= c
    elif op == "<":

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v < c
    elif op == "<=":

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v <= c
    elif op == "==":

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v == c
    else:

        def fn(f: Facts) -> Any:
            v = f.get(name)
            return None if v is None else v != c

    return fn


def _compare(op: str, left: Fn | _Const, right: Fn | _Const, node: Compare) -> Fn | _Const:
    if isinstance(node.left, Field) and isinstance(right, _Const):
        return _field_compare(node.left.name, op, right.value)
    if isinstance(node.right, Field) and isinstance(left, _Const):
        flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)
        return _field_compare(node.right.name, flipped, left.value)
    cmp, lf, rf = _CMP[op], _fn(left), _fn(right)

    def fn(f: Facts) -> Any:
        a = lf(f)
        if a is None:
            return None
        b = rf(f)
        return None if b is None else cmp(a, b)

    return fn


def _membership(node: In, left: Fn | _Const, right: Fn | _Const) -> Fn | _Const:
    negated = node.negated
    if isinstance(right, _Const) and isinstance(node.left, Field):
        name, values = node.left.name, right.value
        if negated:
            return lambda f: None if (v := f.get(name)) is None else v not in values
        return lambda f: None if (v := f.get(name)) is None else v in values
    lf, rf = _fn(left), _fn(right)

    def fn(f: Facts) -> Any:
        a = lf(f)
        if a is None:
            return None
        b = rf(f)
        if b is None:
            return None
        return (a not in b) if negated else (a in b)

    return fn


def _and(parts: list[Fn]) -> Fn:
    if len(parts) == 2:
        x, y = parts

        def and2(f: Facts) -> Any:
            a = x(f)
            if a is False:
                return False
            b = y(f)
            if b is False:
                return False
            return True if (a is True and b is True) else None

        return and2

    def and_n(f: Facts) -> Any:
        unknown = False
        for p in parts:
            v = p(f)
            if v is False:
                return False
            if v is not True:
                unknown = True
        return None if unknown else True

    return and_n


def _or(parts: list[Fn]) -> Fn:
    if len(parts) == 2:
        x, y = parts

        def or2(f: Facts) -> Any:
            a = x(f)
            if a is True:
                return True
            b = y(f)
            if b is True:
                return True
            return False if (a is False and b is False) else None

        return or2

    def or_n(f: Facts) -> Any:
        unknown = False
        for p in parts:
            v = p(f)
            if v is True:
                return True
            if v is not False:
                unknown = True
        return None if unknown else False

    return or_n


def _not(x: Fn) -> Fn:
    def fn(f: Facts) -> Any:
        v = x(f)
        return False if v is True else (True if v is False else None)

    return fn


def _build(node: Node, lists: Mapping[str, frozenset[str]]) -> Fn | _Const:
    match node:
        case Field(name=name):
            return lambda f: f.get(name)
        case ListRef(name=name):
            return _Const(lists[name])
        case Str(value=v) | Num(value=v) | Bool(value=v):
            return _Const(v)
        case ListLit(values=values):
            return _Const(frozenset(values))
    built = [_build(c, lists) for c in _operands(node)]
    fn = _combine(node, built)
    if not isinstance(fn, _Const) and all(isinstance(b, _Const) for b in built):
        return _Const(fn({}))  # fold constant parts once, with the same code that runs later
    return fn


def _operands(node: Node) -> list[Node]:
    match node:
        case Not(operand=o) | Neg(operand=o) | IsNull(operand=o):
            return [o]
        case BoolOp(operands=ops):
            return list(ops)
        case Compare(left=a, right=b) | In(left=a, right=b) | Arith(left=a, right=b):
            return [a, b]
        case Call(receiver=r, args=args):
            return [r, *args]
    raise TypeError(f"not a rule node: {node!r}")


def _combine(node: Node, built: list[Fn | _Const]) -> Fn | _Const:
    match node:
        case Not():
            return _not(_fn(built[0]))
        case BoolOp(op="and"):
            return _and([_fn(b) for b in built])
        case BoolOp():
            return _or([_fn(b) for b in built])
        case Compare(op=op):
            return _compare(op, built[0], built[1], node)
        case In():
            return _membership(node, built[0], built[1])
        case IsNull(negated=negated):
            x = _fn(built[0])
            return (lambda f: x(f) is not None) if negated else (lambda f: x(f) is None)
        case Arith(op=op):
            lf, rf = _fn(built[0]), _fn(built[1])
            return lambda f: arith(op, lf(f), rf(f))
        case Neg():
            x = _fn(built[0])
            return lambda f: None if (v := x(f)) is None else -v
        case Call(method=method):
            rf, argf = _fn(built[0]), [_fn(b) for b in built[1:]]
            if method in ("lower", "upper", "trim", "length"):
                return lambda f: call_method(method, rf(f), ())
            return lambda f: call_method(method, rf(f), [a(f) for a in argf])
    raise TypeError(f"not a rule node: {node!r}")


class CompiledRule:
    """A checked rule, ready to run: ``matches(facts)`` is true only when the condition is true."""

    __slots__ = (
        "source",
        "tree",
        "action",
        "fields_used",
        "lists_used",
        "facts",
        "lists",
        "matches",
        "evaluate",
        "_cond",
    )

    def __init__(
        self,
        source: str,
        tree: Rule,
        fields_used: frozenset[str],
        facts: Mapping[str, FactSpec],
        lists: Mapping[str, frozenset[str]],
    ) -> None:
        self.source = source
        self.tree = tree
        self.action = tree.action
        self.fields_used = fields_used
        self.lists_used = frozenset(lists)
        self.facts = facts
        self.lists = lists
        built = _build(tree.condition, lists)
        cond = _fn(built)

        def evaluate(facts: Facts) -> bool | None:
            """Return the condition's value: True, False, or None when unknown or in error."""
            try:
                v = cond(facts)
            except Exception:  # facts of the wrong type: never fire, never crash screening
                return None
            return v if (v is True or v is False) else None

        def matches(facts: Facts) -> bool:
            """Tell whether the rule fires for these facts (unknown or error: it does not)."""
            try:
                return cond(facts) is True
            except Exception:
                return False

        self.evaluate = evaluate
        self.matches = matches
        self._cond = cond

    def matches_many(self, rows: Iterable[Facts]) -> list[bool]:
        """Evaluate the rule over many fact rows at once (for backtests)."""
        rows = rows if isinstance(rows, list | tuple) else list(rows)
        cond = self._cond
        try:
            return [cond(r) is True for r in rows]
        except Exception:
            matches = self.matches
            return [matches(r) for r in rows]

    def count_matches(self, rows: Iterable[Facts]) -> int:
        """Count the fact rows the rule fires on."""
        return sum(self.matches_many(rows))

    def explain(self, facts: Facts) -> str:
        """Say in one sentence which facts decided the outcome, with their values."""
        try:
            return _explain(self.tree.condition, facts, self)[1]
        except Exception:
            return "the facts could not be evaluated (a value of an unexpected type)"

    def __repr__(self) -> str:
        return f"CompiledRule({self.source!r})"


def compile_rule(
    source: str, facts: Mapping[str, FactSpec] = FACTS, lists: ListResolver | None = None
) -> CompiledRule:
    """Parse, check and compile a rule; raise a RuleError pointing at the first problem."""
    tree = parse(source)
    resolver = NamedLists() if lists is None else lists
    checker = Checker(source, facts, resolver)
    checker.check_rule(tree)
    used = {name: frozenset(resolver[name]) for name in sorted(checker.lists_used)}
    return CompiledRule(source, tree, frozenset(checker.fields_used), facts, used)


# -- explanations ------------------------------------------------------------------------------
# A small interpreter with the same semantics as the closures (a property test holds them equal);
# it runs only when a rule fired, to say why.


def format_value(value: Any, kind: FactType | None = None) -> str:
    """Write a fact's value for a person: money with two decimals, text quoted, lists short."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return format_literal(value)
    if isinstance(value, int | float):
        if isinstance(value, float) and kind != FactType.integer:
            if abs(value * 100 - round(value * 100)) < 1e-6:
                return f"{value:.2f}"
            return f"{value:.4f}".rstrip("0")
        return format_number(value)
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


def _explain(node: Node, facts: Facts, rule: CompiledRule) -> tuple[Any, str]:
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
            v, text = _explain(operand, facts, rule)
            return (None if v is not True and v is not False else not v), f"not ({text})"
        case BoolOp(op=op, operands=operands):
            parts = [_explain(o, facts, rule) for o in operands]
            value = _three([v for v, _ in parts], op)
            if value is None:
                shown = [t for v, t in parts if v is not True and v is not False]
            elif value is (op == "or"):
                shown = [t for v, t in parts if v is value]
            else:
                shown = [t for _, t in parts]
            return value, f" {op} ".join(shown)
        case Compare(op=op, left=left, right=right):
            (a, ta), (b, tb) = _explain(left, facts, rule), _explain(right, facts, rule)
            return (None if a is None or b is None else _CMP[op](a, b)), f"{ta} {op} {tb}"
        case In(left=left, right=right, negated=negated):
            (a, ta), (b, tb) = _explain(left, facts, rule), _explain(right, facts, rule)
            value = None if a is None or b is None else ((a not in b) if negated else (a in b))
            return value, f"{ta} {'not in' if negated else 'in'} {tb}"
        case IsNull(operand=operand, negated=negated):
            v, text = _explain(operand, facts, rule)
            return (v is not None) if negated else (
                v is None
            ), f"{text} is {'not null' if negated else 'null'}"
        case Arith(op=op, left=left, right=right):
            (a, ta), (b, tb) = _explain(left, facts, rule), _explain(right, facts, rule)
            value = arith(op, a, b)
            return value, f"({ta} {op} {tb} = {format_value(value)})"
        case Neg(operand=operand):
            v, text = _explain(operand, facts, rule)
            value = None if v is None else -v
            return value, f"-({text})"
        case Call(receiver=receiver, method=method, args=args):
            r, tr = _explain(receiver, facts, rule)
            evaluated = [_explain(a, facts, rule) for a in args]
            value = call_method(method, r, [v for v, _ in evaluated])
            text = f"{tr}.{method}({', '.join(t for _, t in evaluated)})"
            if value is True or value is False:
                return value, text
            return value, f"({text} = {format_value(value)})"
    raise TypeError(f"not a rule node: {node!r}")


def explain_value(rule: CompiledRule, facts: Facts) -> bool | None:
    """Evaluate with the explaining interpreter (the reference semantics the closures must match)."""
    try:
        value = _explain(rule.tree.condition, facts, rule)[0]
    except Exception:
        return None
    return value if (value is True or value is False) else None
