"""The syntax tree of a rule and its canonical text form.

Nodes compare by meaning only: the source offsets (``pos``, ``end``) are left out of equality so a
tree printed by :func:`unparse` and parsed again equals the tree it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ACTIONS = ("block", "review", "verify", "allow")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
ARITH_OPS = ("+", "-", "*", "/")
# Other spellings a merchant may write for a method (Radar's, Flow's), and the method they mean.
METHOD_ALIASES = {
    "starts_with": "startswith",
    "ends_with": "endswith",
    "istarts_with": "istartswith",
    "iends_with": "iendswith",
}
# Short names for a fact: ip.in_range(@office_ips) reads ip.address.
FACT_ALIASES = {"ip": "ip.address"}
# Functions written before their value, and the method each one is: len(x) is x.length().
FUNCTIONS = {"len": "length"}


@dataclass(frozen=True, slots=True)
class Node:
    pos: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Field(Node):
    name: str


@dataclass(frozen=True, slots=True)
class ListRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Str(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Num(Node):
    value: int | float


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    values: tuple[str | int | float, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class In(Node):
    left: Node
    right: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    operand: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    receiver: Node
    method: str
    args: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule(Node):
    action: str
    condition: Node


# Binding strength, weakest first; a child weaker than its slot needs parentheses.
OR, AND, NOT, CMP, ADD, MUL, UNARY, POSTFIX, ATOM = range(1, 10)


def level(node: Node) -> int:
    """Return how tightly ``node`` binds."""
    if isinstance(node, BoolOp):
        return OR if node.op == "or" else AND
    if isinstance(node, Not):
        return NOT
    if isinstance(node, Compare | In | IsNull):
        return CMP
    if isinstance(node, Arith):
        return ADD if node.op in "+-" else MUL
    if isinstance(node, Neg):
        return UNARY
    if isinstance(node, Call):
        return POSTFIX
    return ATOM


def format_number(value: int | float) -> str:
    """Write a number the way the rule language reads it (never in exponent form)."""
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def format_string(value: str) -> str:
    """Quote a string literal with single quotes and the escapes the lexer knows."""
    body = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
    return f"'{body}'"


def format_literal(value: str | int | float) -> str:
    """Write one list-literal value."""
    return format_string(value) if isinstance(value, str) else format_number(value)


def _wrap(node: Node, minimum: int) -> str:
    text = unparse(node)
    return f"({text})" if level(node) < minimum else text


def unparse(node: Node) -> str:
    """Write ``node`` back as rule text, with only the parentheses the meaning needs."""
    match node:
        case Rule(action=action, condition=cond):
            return f"{action} if {unparse(cond)}"
        case Field(name=name):
            return name
        case ListRef(name=name):
            return f"@{name}"
        case Str(value=value):
            return format_string(value)
        case Num(value=value):
            return format_number(value)
        case Bool(value=value):
            return "true" if value else "false"
        case ListLit(values=values):
            return "[" + ", ".join(format_literal(v) for v in values) + "]"
        case Not(operand=operand):
            return f"not {_wrap(operand, NOT)}"
        case BoolOp(op=op, operands=operands):
            inner = AND if op == "or" else NOT
            return f" {op} ".join(_wrap(o, inner) for o in operands)
        case Compare(op=op, left=left, right=right):
            return f"{_wrap(left, ADD)} {op} {_wrap(right, ADD)}"
        case In(left=left, right=right, negated=negated):
            return f"{_wrap(left, ADD)} {'not in' if negated else 'in'} {_wrap(right, ADD)}"
        case IsNull(operand=operand, negated=negated):
            return f"{_wrap(operand, ADD)} is {'not null' if negated else 'null'}"
        case Arith(op=op, left=left, right=right):
            own = level(node)
            return f"{_wrap(left, own)} {op} {_wrap(right, own + 1)}"
        case Neg(operand=operand):
            return f"-{_wrap(operand, UNARY)}"
        case Call(receiver=receiver, method=method, args=args):
            return f"{_wrap(receiver, POSTFIX)}.{method}({', '.join(unparse(a) for a in args)})"
    raise TypeError(f"not a rule node: {node!r}")


def walk(node: Node) -> list[Node]:
    """Return every node under ``node`` (itself included), without recursion."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children(current))
    return out


def children(node: Node) -> tuple[Node, ...]:
    """Return the direct children of ``node``."""
    match node:
        case Rule(condition=c):
            return (c,)
        case Not(operand=o) | Neg(operand=o) | IsNull(operand=o):
            return (o,)
        case BoolOp(operands=ops):
            return ops
        case Compare(left=a, right=b) | In(left=a, right=b) | Arith(left=a, right=b):
            return (a, b)
        case Call(receiver=r, args=args):
            return (r, *args)
    return ()


def depth(node: Node) -> int:
    """Return the height of the tree under ``node``, without recursion."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in children(current))
    return best
