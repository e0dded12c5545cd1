"""Entry scopes: which line items of an order an entry restricts (pure, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storeguard.core.errors import Invalid
from storeguard.core.money import to_decimal_str
from storeguard.lists.enums import ListErrorCode, ScopeKind

EVERYTHING: dict[str, Any] = {"kind": "everything"}


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What a scope needs to know about one line item (stored or at checkout)."""

    index: int
    category: str = ""
    tags: tuple[str, ...] = ()
    unit_price: int = 0  # minor units
    quantity: int = 1
    high_value: bool = False
    limited_edition: bool = False
    product_id: int | None = None
    sku: str = ""

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


def validate_scope(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a scope in canonical form, or raise ``Invalid`` (field ``scope``) saying what is wrong."""
    if not raw:
        return dict(EVERYTHING)
    try:
        kind = ScopeKind(raw.get("kind", ScopeKind.everything))
    except ValueError:
        raise Invalid(
            ListErrorCode.invalid_scope,
            f"scope kind {raw.get('kind')!r} is not one of {', '.join(ScopeKind)}",
            field="scope",
        ) from None
    match kind:
        case ScopeKind.categories | ScopeKind.tags:
            values = raw.get(kind.value)
            if (
                not isinstance(values, list | tuple)
                or not values
                or not all(isinstance(v, str) for v in values)
            ):
                raise Invalid(
                    ListErrorCode.invalid_scope,
                    f"a {kind} scope needs a non-empty list `{kind}`",
                    field="scope",
                )
            return {
                "kind": kind.value,
                kind.value: sorted({v.strip().casefold() for v in values if v.strip()}),
            }
        case ScopeKind.order_above:
            amount = raw.get("amount")
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise Invalid(
                    ListErrorCode.invalid_scope,
                    "an order_above scope needs `amount` in minor units (a whole number >= 0)",
                    field="scope",
                )
            return {"kind": kind.value, "amount": amount}
        case _:
            return {"kind": kind.value}


def applicable_lines(
    scope: Mapping[str, Any], lines: Sequence[LineFacts], order_total: int | None = None
) -> list[int] | None:
    """Return the indexes of the lines a scope restricts, ``None`` for the whole order, [] for none.

    ``order_total`` defaults to the sum of the lines.
    """
    kind = scope.get("kind", ScopeKind.everything)
    if kind == ScopeKind.everything:
        return None
    if kind == ScopeKind.order_above:
        total = order_total if order_total is not None else sum(line.total for line in lines)
        return None if total > int(scope["amount"]) else []
    if kind == ScopeKind.categories:
        wanted = set(scope["categories"])
        return [line.index for line in lines if line.category.casefold() in wanted]
    if kind == ScopeKind.tags:
        wanted = set(scope["tags"])
        return [line.index for line in lines if wanted & {t.casefold() for t in line.tags}]
    if kind == ScopeKind.high_value:
        return [line.index for line in lines if line.high_value]
    if kind == ScopeKind.limited_edition:
        return [line.index for line in lines if line.limited_edition]
    raise ValueError(f"unknown scope kind {kind!r}")


def describe_scope(scope: Mapping[str, Any], currency: str | None = None) -> str:
    """Say a scope in words: "everything", "limited-edition items", "orders above 5000.00 NOK"."""
    kind = scope.get("kind", ScopeKind.everything)
    if kind == ScopeKind.categories:
        return "products in " + ", ".join(scope["categories"])
    if kind == ScopeKind.tags:
        return "products tagged " + ", ".join(scope["tags"])
    if kind == ScopeKind.order_above:
        if currency:
            return f"orders above {to_decimal_str(int(scope['amount']), currency)} {currency}"
        return f"orders above {scope['amount']} (minor units)"
    return {"high_value": "high-value items", "limited_edition": "limited-edition items"}.get(
        kind, "everything"
    )


def describe_restriction(scope: Mapping[str, Any], line_indexes: list[int] | None) -> str:
    """Say which lines an entry restricted: "the whole order" or "lines 2, 3 (limited-edition items)"."""
    if line_indexes is None:
        return "the whole order"
    numbers = ", ".join(str(i + 1) for i in line_indexes)
    noun = "line" if len(line_indexes) == 1 else "lines"
    return f"{noun} {numbers} ({describe_scope(scope)})"
