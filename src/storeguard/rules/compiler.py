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
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from storeguard.rules.checker import LINE_METHODS, Checker
from storeguard.rules.explain import Explainer, compile_explainer
from storeguard.rules.facts import FACTS, FactSpec
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
)
from storeguard.rules.parser import parse
from storeguard.rules.semantics import (
    CMP,
    call_method,
    clamp,
    icontains,
    in_networks,
    networks,
    pattern,
    property_name,
    property_value,
)

Facts = Mapping[str, Any]
Fn = Callable[[Facts], Any]


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
    # A constant folded to unknown (``0 / 0``) leaves the comparison unknown: the general path says so.
    if isinstance(node.left, Field) and isinstance(right, _Const) and right.value is not None:
        return _field_compare(node.left.name, op, right.value)
    if isinstance(node.right, Field) and isinstance(left, _Const) and left.value is not None:
        flipped = {">": "<", "<": ">", ">=": "<=", "<=": ">="}.get(op, op)
        return _field_compare(node.right.name, flipped, left.value)
    cmp, lf, rf = CMP[op], _fn(left), _fn(right)

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


def _arith(op: str, lf: Fn, rf: Fn) -> Fn:
    # Same rules as arith(), without its dispatch on the operator at every evaluation.
    if op == "/":

        def div(f: Facts) -> Any:
            a = lf(f)
            if a is None:
                return None
            b = rf(f)
            if b is None or b == 0:
                return None
            return clamp(a / b)

        return div
    combine: Callable[[Any, Any], Any] = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

    def other(f: Facts) -> Any:
        a = lf(f)
        if a is None:
            return None
        b = rf(f)
        return None if b is None else clamp(combine(a, b))

    return other


_UNARY_METHODS: dict[str, Callable[[Any], Any]] = {
    "lower": str.lower,
    "upper": str.upper,
    "trim": str.strip,
    "length": len,
}


def _lines(method: str, lines_of: Fn, cond: Fn) -> Fn:
    """Compile order.lines.any/all/count(cond): ``cond`` reads one line's facts (``line.*``).

    any() is true when the condition is true on a line, false when it is false on every line, and
    unknown otherwise; all() the other way round; count() counts the lines it is exactly true on.
    """
    if method == "count":

        def count(f: Facts) -> Any:
            lines = lines_of(f)
            return None if lines is None else sum(1 for line in lines if cond(line) is True)

        return count
    wanted = method == "any"  # the value that decides at once: true for any(), false for all()

    def quantified(f: Facts) -> Any:
        lines = lines_of(f)
        if lines is None:
            return None
        unknown = False
        for line in lines:
            v = cond(line)
            if v is wanted:
                return wanted
            if v is None:
                unknown = True
        return None if unknown else not wanted

    return quantified


def _call(method: str, receiver: Node, built_receiver: Fn | _Const, built_args: list[Fn | _Const]) -> Fn:
    """Compile a method call; the common shapes (a fact, a constant argument) skip call_method()."""
    name = receiver.name if isinstance(receiver, Field) else None
    rf = _fn(built_receiver)
    if method in LINE_METHODS:
        return _lines(method, rf, _fn(built_args[0]))
    if method in _UNARY_METHODS:
        apply = _UNARY_METHODS[method]
        if name is not None:
            return lambda f: None if (v := f.get(name)) is None else apply(v)
        return lambda f: None if (v := rf(f)) is None else apply(v)
    if len(built_args) == 1 and isinstance(built_args[0], _Const) and name is not None:
        c = built_args[0].value
        if method == "startswith":
            return lambda f: None if (v := f.get(name)) is None else v.startswith(c)
        if method == "endswith":
            return lambda f: None if (v := f.get(name)) is None else v.endswith(c)
        if method == "contains":
            return lambda f: None if (v := f.get(name)) is None else c in v
        if method == "contains_any":
            values = frozenset(c)
            return lambda f: None if (v := f.get(name)) is None else not values.isdisjoint(v)
    if len(built_args) == 1 and isinstance(built_args[0], _Const) and built_args[0].value is not None:
        special = _constant_argument(method, built_args[0].value)
        if special is not None:
            if name is not None:
                return lambda f: None if (v := f.get(name)) is None else special(v)
            return lambda f: None if (v := rf(f)) is None else special(v)
    argf = [_fn(b) for b in built_args]
    return lambda f: call_method(method, rf(f), [a(f) for a in argf])


def _constant_argument(method: str, c: Any) -> Callable[[Any], Any] | None:
    """Prepare a method whose argument is written in the rule once: the pattern, ranges, folded text."""
    if method == "matches":
        search = pattern(c).search
        return lambda v: search(v) is not None
    if method == "in_range":
        nets = networks(c)
        return lambda v: in_networks(v, nets)
    if method == "get":
        key = property_name(c)
        return lambda v: property_value(v, key)
    if method == "has":
        key = property_name(c)
        return lambda v: property_value(v, key) is not None
    if method in ("icontains", "istartswith", "iendswith", "iequals"):
        folded = c.casefold()
        if method == "icontains":
            return lambda v: folded in v.casefold() if isinstance(v, str) else icontains(v, c)
        if method == "istartswith":
            return lambda v: v.casefold().startswith(folded)
        if method == "iendswith":
            return lambda v: v.casefold().endswith(folded)
        return lambda v: v.casefold() == folded
    return None


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


NOT_CONSTANT = object()


def compile_part(node: Node, lists: Mapping[str, frozenset[str]]) -> Fn:
    """A part of a checked rule as the rule evaluates it: its three-valued value (an error raises)."""
    return _fn(_build(node, lists))


def constant_value(node: Node, lists: Mapping[str, frozenset[str]]) -> Any:
    """Return the value ``node`` has whatever the facts (folded as a compiled rule folds it), or NOT_CONSTANT."""
    built = _build(node, lists)
    return built.value if isinstance(built, _Const) else NOT_CONSTANT


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
            return _arith(op, _fn(built[0]), _fn(built[1]))
        case Neg():
            x = _fn(built[0])
            return lambda f: None if (v := x(f)) is None else -v
        case Call(method=method):
            return _call(method, node.receiver, built[0], built[1:])
    raise TypeError(f"not a rule node: {node!r}")


def _matcher(node: Node, built: Fn | _Const, lists: Mapping[str, frozenset[str]]) -> Callable[[Facts], bool]:
    """Build ``matches``: true only when the condition is exactly true; errors count as false.

    A top-level 'and' is true only when every part is true, and an 'or' when one part is, so
    those skip the three-valued combination and one call layer: the common rule shapes run faster.
    """
    if isinstance(node, BoolOp) and not isinstance(built, _Const):
        parts = [_fn(_build(o, lists)) for o in node.operands]
        if node.op == "and" and len(parts) == 2:
            x, y = parts

            def match_and2(facts: Facts) -> bool:
                try:
                    return x(facts) is True and y(facts) is True
                except Exception:
                    return False

            return match_and2
        if node.op == "and":

            def match_all(facts: Facts) -> bool:
                try:
                    for p in parts:  # noqa: SIM110 - a plain loop beats all() over a generator here
                        if p(facts) is not True:
                            return False
                    return True
                except Exception:
                    return False

            return match_all

        def match_any(facts: Facts) -> bool:
            try:
                for p in parts:  # noqa: SIM110 - a plain loop beats any() over a generator here
                    if p(facts) is True:
                        return True
                return False
            except Exception:
                return False

        return match_any
    cond = _fn(built)

    def matches(facts: Facts) -> bool:
        try:
            return cond(facts) is True
        except Exception:
            return False

    return matches


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
        "_explainer",
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
        self._explainer: Explainer | None = None  # built on the first explanation: most rules never fire
        built = _build(tree.condition, lists)
        cond = _fn(built)

        def evaluate(facts: Facts) -> bool | None:
            """Return the condition's value: True, False, or None when unknown or in error."""
            try:
                v = cond(facts)
            except Exception:  # facts of the wrong type: never fire, never crash screening
                return None
            return v if (v is True or v is False) else None

        self.evaluate = evaluate
        self.matches = _matcher(tree.condition, built, lists)

    def matches_many(self, rows: Iterable[Facts]) -> list[bool]:
        """Evaluate the rule over many fact rows at once (for backtests)."""
        matches = self.matches  # catches per row, so one odd row cannot spoil the batch
        return [matches(r) for r in rows]

    def count_matches(self, rows: Iterable[Facts]) -> int:
        """Count the fact rows the rule fires on."""
        return sum(self.matches_many(rows))

    def explain(self, facts: Facts) -> str:
        """Say in one sentence which facts decided the outcome, with their values."""
        try:
            explainer = self._explainer
            if explainer is None:
                explainer = self._explainer = compile_explainer(self.tree.condition, self)
            return explainer(facts)[1]
        except Exception:
            return "the facts could not be evaluated (a value of an unexpected type)"

    def __repr__(self) -> str:
        return f"CompiledRule({self.source!r})"


def compile_rule(
    source: str,
    facts: Mapping[str, FactSpec] = FACTS,
    lists: ListResolver | None = None,
    protected: Collection[str] = frozenset(),
) -> CompiledRule:
    """Parse, check and compile a rule; raise a RuleError pointing at the first problem (a
    protected fact among them)."""
    tree = parse(source)
    resolver = NamedLists() if lists is None else lists
    checker = Checker(source, facts, resolver, protected)
    checker.check_rule(tree)
    used = {name: frozenset(resolver[name]) for name in sorted(checker.lists_used)}
    return CompiledRule(source, tree, frozenset(checker.fields_used), facts, used)
