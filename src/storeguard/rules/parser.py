"""A hand-written lexer and recursive-descent parser for merchant rules.

Grammar (weakest binding first)::

    rule     := ACTION 'if' or
    or       := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum [ ('=='|'!='|'<'|'<='|'>'|'>=') sum | ['not'] 'in' sum | 'is' ['not'] 'null' ]
    sum      := product (('+'|'-') product)*
    product  := unary (('*'|'/') unary)*
    unary    := '-' unary | postfix
    postfix  := primary ('.' NAME '(' [or (',' or)*] ')')*
    primary  := NUMBER | STRING | 'true' | 'false' | 'len' '(' or ')' | path | '@'NAME | '[' literals ']'
              | '(' or ')'

Every limit is checked while reading, so no text can make the parser recurse without bound,
and every failure is a :class:`RuleError` that points at the offending characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storeguard.rules.errors import RuleError, RuleErrorCode, RuleSyntaxError, position_of
from storeguard.rules.nodes import (
    ACTIONS,
    COMPARE_OPS,
    FACT_ALIASES,
    FUNCTIONS,
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
    depth,
    unparse,
)

MAX_SOURCE_CHARS = 4000
MAX_NODES = 300
MAX_DEPTH = 32
MAX_LIST_ITEMS = 1000
MAX_STRING_CHARS = 500
MAX_NUMBER = 10**15
MAX_NUMBER_CHARS = 24

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false", "if"})
# Words a merchant may bring from other languages, and what to write instead.
_HINTS = {
    "True": "true",
    "False": "false",
    "None": "null",
    "NULL": "null",
    "Null": "null",
    "AND": "and",
    "OR": "or",
    "NOT": "not",
    "IN": "in",
    "IS": "is",
    "IF": "if",
    "nil": "null",
    "none": "null",
}
_BAD_OPERATORS = {
    "&&": "write 'and' instead of '&&'",
    "||": "write 'or' instead of '||'",
    "**": "there is no power operator; multiply instead",
    "<>": "write '!=' for 'not equal'",
    "=": "write '==' to compare (a single '=' assigns nothing here)",
    "!": "write 'not' instead of '!'",
    "&": "write 'and' instead of '&'",
    "|": "write 'or' instead of '|'",
    "%": "there is no remainder operator",
    "//": "there is no floor division; '/' divides exactly",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+|\#[^\n]*)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<raw>r['"])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<listref>@[A-Za-z0-9_]*)
  | (?P<string>['"])
  | (?P<op>==|!=|<=|>=|<>|&&|\|\||\*\*|//|[<>()\[\],.+\-*/=!&|%])
    """,
    re.VERBOSE,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number, name, keyword, listref, string, op, end
    text: str
    value: object
    pos: int
    end: int


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    out: list[str] = []
    i = start + 1
    while i < len(source):
        ch = source[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch == "\\":
            nxt = source[i + 1] if i + 1 < len(source) else ""
            if nxt not in _ESCAPES:
                raise RuleSyntaxError(
                    "unknown escape in text; use \\\\, \\', \\\", \\n or \\t",
                    source=source,
                    offset=i,
                    length=2,
                )
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
        if len(out) > MAX_STRING_CHARS:
            raise RuleError(
                RuleErrorCode.rule_too_large,
                f"text is longer than {MAX_STRING_CHARS} characters; use a named list for long values",
                source=source,
                offset=start,
            )
    raise RuleSyntaxError("this text is never closed; add the closing quote", source=source, offset=start)


def _read_raw(source: str, start: int) -> tuple[str, int]:
    """Read r'...': every character as written, so a pattern's backslashes (\\d, \\.) need no doubling."""
    quote = source[start]
    end = source.find(quote, start + 1)
    newline = source.find("\n", start + 1)
    if end < 0 or 0 <= newline < end:
        raise RuleSyntaxError(
            "this text is never closed; add the closing quote", source=source, offset=start - 1
        )
    value = source[start + 1 : end]
    if len(value) > MAX_STRING_CHARS:
        raise RuleError(
            RuleErrorCode.rule_too_large,
            f"text is longer than {MAX_STRING_CHARS} characters; use a named list for long values",
            source=source,
            offset=start - 1,
        )
    return value, end + 1


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, refusing any character the language does not use."""
    if len(source) > MAX_SOURCE_CHARS:
        raise RuleError(
            RuleErrorCode.rule_too_large,
            f"a rule may be at most {MAX_SOURCE_CHARS} characters long (this one has {len(source)})",
            source=source,
            offset=MAX_SOURCE_CHARS,
        )
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        m = _TOKEN.match(source, i)
        if m is None:
            raise RuleSyntaxError(f"unexpected character {source[i]!r}", source=source, offset=i)
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "ws":
            i = m.end()
            continue
        if kind == "raw":
            value, end = _read_raw(source, i + 1)
            tokens.append(Token("string", source[i:end], value, i, end))
            i = end
            continue
        if kind == "string":
            value, end = _read_string(source, i)
            tokens.append(Token("string", source[i:end], value, i, end))
            i = end
            continue
        if kind == "number":
            tokens.append(_number_token(source, text, i))
        elif kind == "name":
            if text in KEYWORDS:
                tokens.append(Token("keyword", text, text, i, m.end()))
            elif text in _HINTS:
                raise RuleSyntaxError(
                    f"write {_HINTS[text]!r} instead of {text!r}", source=source, offset=i, length=len(text)
                )
            else:
                tokens.append(Token("name", text, text, i, m.end()))
        elif kind == "listref":
            if len(text) == 1:
                raise RuleSyntaxError(
                    "a named list needs a name after '@', like @disposable_domains", source=source, offset=i
                )
            tokens.append(Token("listref", text, text[1:], i, m.end()))
        else:
            if text in _BAD_OPERATORS:
                raise RuleSyntaxError(_BAD_OPERATORS[text], source=source, offset=i, length=len(text))
            tokens.append(Token("op", text, text, i, m.end()))
        i = m.end()
    tokens.append(Token("end", "", None, len(source), len(source)))
    return tokens


def _number_token(source: str, text: str, pos: int) -> Token:
    end = pos + len(text)
    if len(text) > MAX_NUMBER_CHARS:
        raise RuleError(
            RuleErrorCode.rule_too_large,
            "this number has too many digits",
            source=source,
            offset=pos,
            length=len(text),
        )
    value: int | float = float(text) if "." in text else int(text)
    if abs(value) > MAX_NUMBER:
        raise RuleError(
            RuleErrorCode.rule_too_large,
            f"numbers may be at most {MAX_NUMBER:,}",
            source=source,
            offset=pos,
            length=len(text),
        )
    return Token("number", text, value, pos, end)


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the rule"
    return f"{tok.text!r}"


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.nodes = 0
        self.nesting = 0

    # -- helpers -------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (text is None or tok.text == text)

    def advance(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def fail(self, message: str, tok: Token | None = None) -> RuleSyntaxError:
        tok = tok or self.tok
        return RuleSyntaxError(message, source=self.source, offset=tok.pos, length=max(1, tok.end - tok.pos))

    def expect_op(self, text: str, why: str) -> Token:
        if not self.at("op", text):
            raise self.fail(f"expected {text!r} {why}, found {_describe(self.tok)}")
        return self.advance()

    def make(self, cls: type[Node], *args: object, pos: int, end: int) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise RuleError(
                RuleErrorCode.rule_too_large,
                f"this rule has more than {MAX_NODES} parts; split it into several rules",
                source=self.source,
                offset=pos,
                length=max(1, end - pos),
            )
        return cls(*args, pos=pos, end=end)

    def enter(self, tok: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise RuleError(
                RuleErrorCode.rule_too_large,
                f"this rule nests more than {MAX_DEPTH} levels deep; simplify it",
                source=self.source,
                offset=tok.pos,
            )

    # -- grammar ---------------------------------------------------------------------------------
    def rule(self) -> Rule:
        tok = self.tok
        if tok.kind != "name" or tok.text not in ACTIONS:
            raise self.fail(
                f"a rule starts with its action ({', '.join(ACTIONS)}), found {_describe(tok)}; "
                "for example: review if order.total > 500"
            )
        self.advance()
        if not self.at("keyword", "if"):
            raise self.fail(f"expected 'if' after {tok.text!r}, found {_describe(self.tok)}")
        self.advance()
        cond = self.or_()
        if not self.at("end"):
            raise self.fail(self._trailing_message())
        node = Rule(tok.text, cond, pos=tok.pos, end=cond.end)
        if depth(node) > MAX_DEPTH + 1:
            raise RuleError(
                RuleErrorCode.rule_too_large,
                f"this rule nests more than {MAX_DEPTH} levels deep; use fewer chained operators",
                source=self.source,
                offset=cond.pos,
                length=cond.end - cond.pos,
            )
        return node

    def _trailing_message(self) -> str:
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARE_OPS:
            return "comparisons cannot be chained; write 'a < b and b < c'"
        if tok.kind == "op" and tok.text == ")":
            return "this ')' has no matching '('"
        if tok.kind == "keyword" and tok.text in ("in", "is"):
            return f"{tok.text!r} cannot follow a comparison; add 'and' or parentheses"
        return f"expected 'and', 'or' or the end of the rule, found {_describe(tok)}"

    def or_(self) -> Node:
        first = self.and_()
        parts = [first]
        while self.at("keyword", "or"):
            self.advance()
            parts.append(self.and_())
        if len(parts) == 1:
            return first
        return self.make(BoolOp, "or", tuple(parts), pos=first.pos, end=parts[-1].end)

    def and_(self) -> Node:
        first = self.not_()
        parts = [first]
        while self.at("keyword", "and"):
            self.advance()
            parts.append(self.not_())
        if len(parts) == 1:
            return first
        return self.make(BoolOp, "and", tuple(parts), pos=first.pos, end=parts[-1].end)

    def not_(self) -> Node:
        if self.at("keyword", "not"):
            tok = self.advance()
            self.enter(tok)
            operand = self.not_()
            self.nesting -= 1
            return self.make(Not, operand, pos=tok.pos, end=operand.end)
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARE_OPS:
            self.advance()
            if self.at("keyword", "null") and tok.text in ("==", "!="):
                test = "is null" if tok.text == "==" else "is not null"
                raise self.fail(
                    f"to test for a missing value write '{unparse(left)} {test}' "
                    "(a comparison with null is never true)"
                )
            right = self.sum_()
            return self.make(Compare, tok.text, left, right, pos=left.pos, end=right.end)
        if tok.kind == "keyword" and tok.text == "in":
            self.advance()
            right = self.sum_()
            return self.make(In, left, right, False, pos=left.pos, end=right.end)
        if (
            tok.kind == "keyword"
            and tok.text == "not"
            and self.peek().kind == "keyword"
            and self.peek().text == "in"
        ):
            self.advance()
            self.advance()
            right = self.sum_()
            return self.make(In, left, right, True, pos=left.pos, end=right.end)
        if tok.kind == "keyword" and tok.text == "is":
            self.advance()
            negated = False
            if self.at("keyword", "not"):
                self.advance()
                negated = True
            if not self.at("keyword", "null"):
                raise self.fail(
                    f"expected 'null' after 'is{' not' if negated else ''}', found {_describe(self.tok)}"
                )
            end = self.advance().end
            return self.make(IsNull, left, negated, pos=left.pos, end=end)
        return left

    def sum_(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.advance().text
            right = self.product()
            left = self.make(Arith, op, left, right, pos=left.pos, end=right.end)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance().text
            right = self.unary()
            left = self.make(Arith, op, left, right, pos=left.pos, end=right.end)
        return left

    def unary(self) -> Node:
        if self.at("op", "-"):
            tok = self.advance()
            self.enter(tok)
            operand = self.unary()
            self.nesting -= 1
            return self.make(Neg, operand, pos=tok.pos, end=operand.end)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while self.at("op", "."):
            self.advance()
            name = self.tok
            if name.kind != "name":
                raise self.fail(f"expected a method name after '.', found {_describe(name)}")
            self.advance()
            self.expect_op("(", f"after the method name {name.text!r}")
            args: list[Node] = []
            if not self.at("op", ")"):
                self.enter(name)
                args.append(self.or_())
                while self.at("op", ","):
                    self.advance()
                    args.append(self.or_())
                self.nesting -= 1
            close = self.expect_op(")", "to close the method call")
            method = METHOD_ALIASES.get(name.text, name.text)
            node = self.make(Call, node, method, tuple(args), pos=node.pos, end=close.end)
        return node

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return self.make(Num, tok.value, pos=tok.pos, end=tok.end)
        if tok.kind == "string":
            self.advance()
            return self.make(Str, tok.value, pos=tok.pos, end=tok.end)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.advance()
            return self.make(Bool, tok.text == "true", pos=tok.pos, end=tok.end)
        if tok.kind == "listref":
            self.advance()
            return self.make(ListRef, tok.value, pos=tok.pos, end=tok.end)
        if (
            tok.kind == "name"
            and tok.text in FUNCTIONS
            and self.peek().kind == "op"
            and self.peek().text == "("
        ):
            return self.function()
        if tok.kind == "name":
            return self.path()
        if tok.kind == "op" and tok.text == "[":
            return self.list_literal()
        if tok.kind == "op" and tok.text == "(":
            self.advance()
            self.enter(tok)
            inner = self.or_()
            self.nesting -= 1
            if not self.at("op", ")"):
                line, column = position_of(self.source, tok.pos)
                raise self.fail(
                    f"expected ')' to close the '(' at line {line}, column {column}, found {_describe(self.tok)}"
                )
            self.advance()
            return inner
        if tok.kind == "keyword" and tok.text == "null":
            raise self.fail("null can only be tested with 'is null' or 'is not null'")
        if tok.kind == "end":
            raise self.fail("the rule ends too early; a value or fact is missing here")
        raise self.fail(f"expected a value or a fact, found {_describe(tok)}")

    def function(self) -> Node:
        """Read ``len(x)``: the same call as ``x.length()``."""
        name = self.advance()
        self.advance()  # the '(' checked by the caller
        if self.at("op", ")"):
            raise self.fail(f"{name.text}() needs a value inside, like {name.text}(email.local_part)")
        self.enter(name)
        operand = self.or_()
        self.nesting -= 1
        if self.at("op", ","):
            raise self.fail(f"{name.text}() takes one value")
        close = self.expect_op(")", f"to close {name.text}(")
        return self.make(Call, operand, FUNCTIONS[name.text], (), pos=name.pos, end=close.end)

    def path(self) -> Node:
        first = self.advance()
        parts = [first.text]
        end = first.end
        # A '.name' joins the dotted path unless a '(' follows: then it is a method call.
        while (
            self.at("op", ".")
            and self.peek().kind == "name"
            and not (self.peek(2).kind == "op" and self.peek(2).text == "(")
        ):
            self.advance()
            part = self.advance()
            parts.append(part.text)
            end = part.end
        name = ".".join(parts)
        return self.make(Field, FACT_ALIASES.get(name, name), pos=first.pos, end=end)

    def list_literal(self) -> Node:
        open_ = self.advance()
        values: list[str | int | float] = []
        while not self.at("op", "]"):
            if values:
                self.expect_op(",", "between list values")
                if self.at("op", "]"):
                    break  # a trailing comma is fine
            tok = self.tok
            sign = 1
            if self.at("op", "-"):
                self.advance()
                sign = -1
                if not self.at("number"):
                    raise self.fail("expected a number after '-'")
            tok = self.tok
            if tok.kind == "number":
                values.append(sign * tok.value)  # type: ignore[operator]
            elif tok.kind == "string":
                values.append(tok.value)  # type: ignore[arg-type]
            elif tok.kind == "end":
                line, column = position_of(self.source, open_.pos)
                raise self.fail(
                    f"this list is never closed; add ']' (it opens at line {line}, column {column})"
                )
            else:
                raise self.fail(
                    f"a list holds only text and numbers, like ['NO', 'SE']; found {_describe(tok)}"
                )
            self.advance()
            if len(values) > MAX_LIST_ITEMS:
                raise RuleError(
                    RuleErrorCode.rule_too_large,
                    f"a list in a rule may hold at most {MAX_LIST_ITEMS} values; use a named list",
                    source=self.source,
                    offset=open_.pos,
                )
        close = self.advance()
        return self.make(ListLit, tuple(values), pos=open_.pos, end=close.end)


def parse(source: str) -> Rule:
    """Parse a rule's text into its tree, or raise a RuleError that points at the problem."""
    if not isinstance(source, str):
        raise TypeError("a rule's source is text")
    return _Parser(source).rule()


def parse_condition(source: str) -> Node:
    """Parse a bare condition (no action), for tests and tools."""
    parser = _Parser(source)
    node = parser.or_()
    if not parser.at("end"):
        raise parser.fail(parser._trailing_message())
    return node
