"""Save-time checks: every fact and list exists, and every operator gets the types it needs.

A rule that passes here cannot meet a type it does not handle at run time (given facts of the
documented types), so evaluation never has to guess.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from enum import StrEnum

import re2

from storeguard.orders.line_properties import MAX_NAME
from storeguard.rules.errors import RuleError, RuleErrorCode
from storeguard.rules.facts import LINE_FACTS, FactSpec, FactType
from storeguard.rules.named_lists import ListResolver
from storeguard.rules.nodes import (
    METHOD_ALIASES,
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
    unparse,
    walk,
)
from storeguard.rules.semantics import networks, pattern


class T(StrEnum):
    """Static types of rule expressions."""

    number = "number"
    string = "text"
    bool = "true/false"
    string_list = "list of text"
    number_list = "list of numbers"
    empty_list = "empty list"
    lines = "order lines"
    properties = "line properties"


_ARTICLE = {
    T.number: "a number",
    T.string: "text",
    T.bool: "a condition (true or false)",
    T.string_list: "a list of text",
    T.number_list: "a list of numbers",
    T.empty_list: "an empty list",
    T.lines: "the order's lines",
    T.properties: "the line's properties (read one with .get('name'))",
}


def article(kind: T) -> str:
    """Name a type with its article, for messages ("a number", "text")."""
    return _ARTICLE[kind]


LISTS = (T.string_list, T.number_list, T.empty_list)
_FACT_TYPES = {
    FactType.number: T.number,
    FactType.integer: T.number,
    FactType.string: T.string,
    FactType.bool: T.bool,
    FactType.string_list: T.string_list,
    FactType.lines: T.lines,
    FactType.properties: T.properties,
}
# A condition over the order's lines: the method, and what it answers (a line count for count()).
LINE_METHODS = {"any": T.bool, "all": T.bool, "count": T.number}
# The bound on line predicates, checked at save time: each reads every line once with a condition of
# at most LINE_CONDITION_NODES nodes over that line alone (no predicate inside another), and a rule
# holds at most LINE_PREDICATES of them, so a line costs a rule a fixed amount of work.
LINE_PREDICATES = 4
LINE_CONDITION_NODES = 25
# method -> (receiver types, argument types, result type)
METHODS: dict[str, tuple[tuple[T, ...], tuple[tuple[T, ...], ...], T]] = {
    "lower": ((T.string,), (), T.string),
    "upper": ((T.string,), (), T.string),
    "trim": ((T.string,), (), T.string),
    "startswith": ((T.string,), ((T.string,),), T.bool),
    "endswith": ((T.string,), ((T.string,),), T.bool),
    "contains": ((T.string, T.string_list), ((T.string,),), T.bool),
    "contains_any": ((T.string_list,), ((T.string_list, T.empty_list),), T.bool),
    "length": ((T.string, T.string_list, T.lines, T.properties), (), T.number),
    "icontains": ((T.string, T.string_list), ((T.string,),), T.bool),
    "istartswith": ((T.string,), ((T.string,),), T.bool),
    "iendswith": ((T.string,), ((T.string,),), T.bool),
    "iequals": ((T.string,), ((T.string,),), T.bool),
    "matches": ((T.string,), ((T.string,),), T.bool),
    "in_range": ((T.string,), ((T.string_list,),), T.bool),
    # A line's properties by name (line.properties): the property's text, or whether there is one.
    "get": ((T.properties,), ((T.string,),), T.string),
    "has": ((T.properties,), ((T.string,),), T.bool),
}
PROPERTY_METHODS = ("get", "has")


def suggest(name: str, candidates: list[str]) -> str | None:
    """Return the closest known name to ``name``, if one is close enough."""
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not found:
        # A typo in the last part ('order.totl') is common; match that part alone too.
        tail = name.rsplit(".", 1)[-1]
        by_tail = {c.rsplit(".", 1)[-1]: c for c in candidates if c.startswith(name.rsplit(".", 1)[0] + ".")}
        tails = difflib.get_close_matches(tail, list(by_tail), n=1, cutoff=0.6)
        found = [by_tail[tails[0]]] if tails else []
    return found[0] if found else None


class Checker:
    """Type-checks one parsed rule against a fact catalogue and a list resolver."""

    def __init__(
        self,
        source: str,
        facts: Mapping[str, FactSpec],
        lists: ListResolver,
        protected: Collection[str] = frozenset(),
    ) -> None:
        self.source = source
        self.facts = facts
        self.lists = lists
        # Facts the merchant marked protected (a characteristic no rule may decide on).
        self.protected = frozenset(protected)
        self.fields_used: set[str] = set()
        self.lists_used: set[str] = set()
        self.in_line: Call | None = None  # the line predicate being checked, if any
        self.line_predicates = 0

    def error(self, code: RuleErrorCode, message: str, node: Node) -> RuleError:
        return RuleError(
            code, message, source=self.source, offset=node.pos, length=max(1, node.end - node.pos)
        )

    def mismatch(self, message: str, node: Node) -> RuleError:
        return self.error(RuleErrorCode.type_mismatch, message, node)

    def check_rule(self, rule: Rule) -> None:
        """Check the whole rule; its condition must be true or false."""
        kind = self.check(rule.condition)
        if kind != T.bool:
            hint = f"; did you mean {unparse(rule.condition)} > 0?" if kind == T.number else ""
            raise self.mismatch(
                f"the condition must be true or false, but {unparse(rule.condition)} is {article(kind)}{hint}",
                rule.condition,
            )

    def check(self, node: Node) -> T:
        """Return the type of ``node`` or raise a RuleError at the first problem."""
        match node:
            case Field(name=name):
                return self.field(node, name)
            case ListRef(name=name):
                if name not in self.lists:
                    close = suggest(name, list(self.lists))
                    hint = f"; did you mean @{close}?" if close else "; create it under named lists first"
                    raise self.error(
                        RuleErrorCode.unknown_list, f"there is no named list @{name}{hint}", node
                    )
                self.lists_used.add(name)
                return T.string_list
            case Str():
                return T.string
            case Num():
                return T.number
            case Bool():
                return T.bool
            case ListLit(values=values):
                return self.list_literal(node, values)
            case Not(operand=operand):
                self.want_bool(operand, "'not'")
                return T.bool
            case BoolOp(op=op, operands=operands):
                for operand in operands:
                    self.want_bool(operand, f"'{op}'")
                return T.bool
            case Compare():
                return self.compare(node)
            case In():
                return self.membership(node)
            case IsNull(operand=operand):
                self.check(operand)
                return T.bool
            case Arith(op=op, left=left, right=right):
                for side in (left, right):
                    kind = self.check(side)
                    if kind != T.number:
                        verb = {"+": "added", "-": "subtracted", "*": "multiplied", "/": "divided"}[op]
                        raise self.mismatch(
                            f"only numbers can be {verb}, but {unparse(side)} is {article(kind)}", side
                        )
                return T.number
            case Neg(operand=operand):
                kind = self.check(operand)
                if kind != T.number:
                    raise self.mismatch(
                        f"only a number can be negated, but {unparse(operand)} is {article(kind)}", operand
                    )
                return T.number
            case Call():
                return self.call(node)
        raise TypeError(f"not a rule node: {node!r}")

    def want_bool(self, node: Node, where: str) -> None:
        kind = self.check(node)
        if kind != T.bool:
            raise self.mismatch(
                f"{where} needs a condition (true or false), but {unparse(node)} is {article(kind)}", node
            )

    def field(self, node: Node, name: str) -> T:
        if name.startswith("line.") or self.in_line is not None:
            return self.line_field(node, name)
        spec = self.facts.get(name)
        if spec is None:
            close = suggest(name, list(self.facts))
            hint = f"; did you mean {close}?" if close else "; see the list of facts (GET /v1/rules/facts)"
            raise self.error(RuleErrorCode.unknown_field, f"unknown fact {name!r}{hint}", node)
        if name in self.protected:
            raise self.error(
                RuleErrorCode.protected_fact,
                f"{name!r} is marked protected by the shop: no rule may decide on it",
                node,
            )
        self.fields_used.add(name)
        return _FACT_TYPES[spec.type]

    def line_field(self, node: Node, name: str) -> T:
        """A line fact, known only inside order.lines.any(...), .all(...) or .count(...)."""
        if self.in_line is None:
            raise self.error(
                RuleErrorCode.unknown_field,
                f"{name} is a fact of one order line: read it inside order.lines.any(...), "
                f"like order.lines.any({name} ...)",
                node,
            )
        spec = LINE_FACTS.get(name)
        if spec is None:
            if not name.startswith("line."):
                raise self.error(
                    RuleErrorCode.unknown_field,
                    f"inside order.lines.{self.in_line.method}(...) only the line's facts (line.*) can be read; "
                    f"test {name} beside it, joined with 'and'",
                    node,
                )
            close = suggest(name, list(LINE_FACTS))
            hint = f"; did you mean {close}?" if close else f"; the line facts are {', '.join(LINE_FACTS)}"
            raise self.error(RuleErrorCode.unknown_field, f"unknown line fact {name!r}{hint}", node)
        return _FACT_TYPES[spec.type]

    def line_predicate(self, node: Call) -> T:
        """order.lines.any(cond), .all(cond), .count(cond): one condition over each line, bounded."""
        if self.in_line is not None:
            raise self.mismatch(
                f"order.lines.{node.method}(...) cannot be used inside order.lines.{self.in_line.method}(...)",
                node,
            )
        self.line_predicates += 1
        if self.line_predicates > LINE_PREDICATES:
            raise self.error(
                RuleErrorCode.rule_too_large,
                f"a rule may read the order's lines at most {LINE_PREDICATES} times; split it into several rules",
                node,
            )
        if len(node.args) != 1:
            raise self.mismatch(
                f"order.lines.{node.method}() takes one condition about a line, like "
                f"order.lines.{node.method}(line.tags.contains('drop')), but was given {len(node.args)}",
                node,
            )
        (condition,) = node.args
        if len(walk(condition)) > LINE_CONDITION_NODES:
            raise self.error(
                RuleErrorCode.rule_too_large,
                f"the condition inside order.lines.{node.method}(...) is too long "
                f"(at most {LINE_CONDITION_NODES} parts); split it into several predicates joined with 'and'",
                condition,
            )
        self.in_line = node
        try:
            kind = self.check(condition)
        finally:
            self.in_line = None
        if kind != T.bool:
            raise self.mismatch(
                f"order.lines.{node.method}() needs a condition about a line (true or false), "
                f"but {unparse(condition)} is {article(kind)}",
                condition,
            )
        return LINE_METHODS[node.method]

    def list_literal(self, node: Node, values: tuple[str | int | float, ...]) -> T:
        if not values:
            return T.empty_list
        kinds = {T.string if isinstance(v, str) else T.number for v in values}
        if len(kinds) > 1:
            raise self.mismatch("a list must hold only text or only numbers, not both", node)
        return T.string_list if kinds == {T.string} else T.number_list

    def compare(self, node: Compare) -> T:
        left, right = self.check(node.left), self.check(node.right)
        if left in LISTS or right in LISTS:
            side = node.left if left in LISTS else node.right
            raise self.mismatch(
                f"{unparse(side)} is a list and cannot be compared with {node.op!r}; "
                "use 'in', .contains('...') or .contains_any([...])",
                side,
            )
        if left != right:
            raise self.mismatch(
                f"cannot compare {unparse(node.left)} ({left.value}) with {unparse(node.right)} ({right.value})",
                node,
            )
        if node.op not in ("==", "!=") and left != T.number:
            raise self.mismatch(f"{node.op!r} compares numbers; {left.value} can only use '==' or '!='", node)
        return T.bool

    def membership(self, node: In) -> T:
        left, right = self.check(node.left), self.check(node.right)
        word = "not in" if node.negated else "in"
        if right not in LISTS:
            hint = f"; to search text write {unparse(node.right)}.contains(...)" if right == T.string else ""
            raise self.mismatch(
                f"{word!r} needs a list on its right, but {unparse(node.right)} is {article(right)}{hint}",
                node.right,
            )
        if left in LISTS:
            raise self.mismatch(
                f"{unparse(node.left)} is a list; to test whether any of its values is in another list "
                f"write {unparse(node.left)}.contains_any({unparse(node.right)})",
                node.left,
            )
        if left not in (T.string, T.number):
            raise self.mismatch(
                f"{word!r} looks up text or numbers, but {unparse(node.left)} is {article(left)}", node.left
            )
        element = {T.string_list: T.string, T.number_list: T.number}.get(right)
        if element is not None and element != left:
            raise self.mismatch(
                f"{unparse(node.left)} is {article(left)} but {unparse(node.right)} is {article(right)}", node
            )
        return T.bool

    def call(self, node: Call) -> T:
        receiver = self.check(node.receiver)
        if receiver == T.lines and node.method in LINE_METHODS:
            return self.line_predicate(node)
        if node.method in LINE_METHODS:
            raise self.mismatch(
                f"{node.method}() reads the order's lines, like order.lines.{node.method}(line.quantity > 5), "
                f"but {unparse(node.receiver)} is {article(receiver)}",
                node,
            )
        spec = METHODS.get(node.method)
        if spec is None:
            close = suggest(node.method, [*METHODS, *METHOD_ALIASES])
            hint = f"did you mean {close}()? " if close else ""
            raise self.error(
                RuleErrorCode.unknown_method,
                f"there is no method {node.method}(); {hint}methods are {', '.join(f'{m}()' for m in METHODS)}",
                node,
            )
        receivers, params, result = spec
        if receiver == T.empty_list and T.string_list in receivers:
            receiver = T.string_list  # [] is a list of text with nothing in it
        if receiver == T.properties and receiver not in receivers:
            raise self.mismatch(
                f"{node.method}() does not work on {unparse(node.receiver)}, the line's properties by name; "
                f"read one with {unparse(node.receiver)}.get('engraving').{node.method}(...) "
                f"or test for one with {unparse(node.receiver)}.has('engraving')",
                node,
            )
        if receiver not in receivers:
            raise self.mismatch(
                f"{node.method}() works on {' or '.join(article(r) for r in receivers)}, "
                f"but {unparse(node.receiver)} is {article(receiver)}",
                node,
            )
        if len(node.args) != len(params):
            want = "no values" if not params else "one value"
            raise self.mismatch(f"{node.method}() takes {want}, but was given {len(node.args)}", node)
        for arg, allowed in zip(node.args, params, strict=True):
            kind = self.check(arg)
            if kind not in allowed:
                raise self.mismatch(
                    f"{node.method}() needs {' or '.join(article(k) for k in allowed)}, but {unparse(arg)} is {article(kind)}",
                    arg,
                )
        if node.method == "matches":
            self.regex(node.args[0])
        elif node.method == "in_range":
            self.ranges(node.args[0])
        elif node.method in PROPERTY_METHODS:
            self.property_name(node.method, node.args[0])
        return result

    def property_name(self, method: str, arg: Node) -> None:
        """A property is named in the rule, in quotes, as a line could hold it (at most 100 characters)."""
        if not isinstance(arg, Str):
            raise self.mismatch(
                f"{method}() needs the property's name written in quotes, like {method}('engraving'), "
                f"not {unparse(arg)}",
                arg,
            )
        if not arg.value.strip() or len(arg.value) > MAX_NAME:
            raise self.mismatch(
                f"a property's name is 1 to {MAX_NAME} characters, so no line has a property named "
                f"{format_literal(arg.value[:20])}{'...' if len(arg.value) > 20 else ''}",
                arg,
            )

    def regex(self, arg: Node) -> None:
        """A pattern is written in the rule, so it is checked once, here, and can never fail later."""
        if not isinstance(arg, Str):
            raise self.mismatch(
                f"matches() needs the pattern written in quotes, like matches('^[0-9]+$'), not {unparse(arg)}",
                arg,
            )
        try:
            pattern(arg.value)
        except re2.error as exc:
            why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise self.error(
                RuleErrorCode.invalid_pattern,
                f"this pattern cannot be used ({why}); patterns may not refer back to a group or look around",
                arg,
            ) from None

    def ranges(self, arg: Node) -> None:
        """Every value of an in_range() list must be an IP address or range, in the rule or the named list."""
        if isinstance(arg, ListLit):
            values: list[str] = [str(v) for v in arg.values]
        elif isinstance(arg, ListRef):
            values = sorted(self.lists[arg.name])
        else:
            raise self.mismatch(
                f"in_range() needs a list of IP ranges, like ['203.0.113.0/24'] or @office_ips, not {unparse(arg)}",
                arg,
            )
        for value in values:
            try:
                networks([value])
            except ValueError:
                where = f"the named list {unparse(arg)}" if isinstance(arg, ListRef) else "the list"
                raise self.error(
                    RuleErrorCode.wrong_list_type,
                    f"{value!r} in {where} is not an IP address or range (like 203.0.113.0/24)",
                    arg,
                ) from None
