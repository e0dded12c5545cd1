"""Scopes: which lines of an order an entry restricts (pure)."""

from __future__ import annotations

import pytest

from storeguard.core.errors import Invalid
from storeguard.lists.scope import LineFacts, applicable_lines, describe_restriction, validate_scope

LINES = [
    LineFacts(index=0, category="Shoes", tags=("sale",), unit_price=50_000, quantity=1),
    LineFacts(index=1, category="Sneakers", tags=("Drop",), unit_price=250_000, limited_edition=True),
    LineFacts(index=2, category="sneakers", unit_price=900_000, high_value=True, limited_edition=True),
]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"kind": "everything"}, None),
        ({"kind": "categories", "categories": ["SNEAKERS"]}, [1, 2]),
        ({"kind": "tags", "tags": ["drop", "nothing"]}, [1]),
        ({"kind": "high_value"}, [2]),
        ({"kind": "limited_edition"}, [1, 2]),
        ({"kind": "order_above", "amount": 1_000_000}, None),
        ({"kind": "order_above", "amount": 1_200_000}, []),
    ],
)
def test_applicable_lines_restricts_the_lines_the_scope_names(
    scope: dict, expected: list[int] | None
) -> None:
    assert applicable_lines(validate_scope(scope), LINES) == expected


def test_describe_restriction_names_lines_from_one() -> None:
    scope = validate_scope({"kind": "limited_edition"})
    assert describe_restriction(scope, applicable_lines(scope, LINES)) == "lines 2, 3 (limited-edition items)"
    assert describe_restriction({"kind": "everything"}, None) == "the whole order"


@pytest.mark.parametrize(
    "scope",
    [
        {"kind": "colour"},
        {"kind": "tags", "tags": []},
        {"kind": "order_above", "amount": "12.50"},
        {"kind": "order_above", "amount": -1},
    ],
)
def test_validate_scope_refuses_a_scope_it_cannot_apply(scope: dict) -> None:
    with pytest.raises(Invalid) as err:
        validate_scope(scope)
    assert (err.value.code, err.value.field) == ("invalid_scope", "scope")
