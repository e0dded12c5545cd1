"""What every request shares: bounded numbers, and bodies checked before anything reaches the database.

Both databases keep integers in 64 bits, PostgreSQL refuses a NUL character in text and JSON,
and a JSON document nested hundreds deep breaks whatever serializes it later. So a request is
held to what can be stored, and told which field is at fault, before any action runs.
"""

from __future__ import annotations

from typing import Annotated, Any

import annotated_types as at
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from storeguard.core.errors import CommonError, Invalid

DB_INT_MAX = 2**63 - 1
# Money in minor units: ten trillion in a two-decimal currency. Sums of any realistic order stay
# far inside 64 bits, and a total past it is refused as the sum it is (``money_out_of_range``).
MONEY_MAX = 10**15
QUANTITY_MAX = 1_000_000
JSON_DEPTH_MAX = 16

# Plain annotated_types bounds: FastAPI applies them to path and query parameters too.
Id = Annotated[int, at.Ge(1), at.Le(DB_INT_MAX)]
"""A row id: what the database's 64-bit keys can hold."""
Count = Annotated[int, at.Ge(0), at.Le(DB_INT_MAX)]
"""A count or version number on the wire."""
# strict: a float or a numeric string is refused, never rounded.
MinorUnits = Annotated[
    int,
    Field(
        strict=True,
        ge=0,
        le=MONEY_MAX,
        description="Integer minor units of the order's currency (19900 = 199.00 USD).",
        examples=[19900],
    ),
]
Quantity = Annotated[
    int, Field(strict=True, gt=0, le=QUANTITY_MAX, description="Whole units, at least 1.", examples=[1])
]
Moment = AwareDatetime
"""A time with its zone: a time without one is refused (422 naming the field), never guessed."""


def check_wire_value(value: Any, path: str = "", depth: int = 0) -> None:
    """Refuse what no database can keep: NUL characters, integers past 64 bits, deep nesting."""
    if isinstance(value, str):
        if "\x00" in value:
            raise Invalid(
                CommonError.nul_character, f"{path or 'body'} contains a NUL character", field=path or None
            )
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -DB_INT_MAX <= value <= DB_INT_MAX:
            raise Invalid(
                CommonError.integer_out_of_range,
                f"{path or 'body'} is outside the 64-bit range",
                field=path or None,
            )
    elif isinstance(value, dict | list):
        if depth >= JSON_DEPTH_MAX:
            raise Invalid(
                CommonError.too_deeply_nested,
                f"{path or 'body'} is nested deeper than {JSON_DEPTH_MAX} levels",
                field=path,
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                raise Invalid(
                    CommonError.nul_character,
                    f"a key in {path or 'body'} contains a NUL character",
                    field=path,
                )
            check_wire_value(item, f"{path}.{key}" if path else str(key), depth + 1)


class InputModel(BaseModel):
    """A request body: an unknown field is a 422 naming it, never silently dropped.

    A misspelt optional field ("note" for "notes") would otherwise vanish and the request
    would be judged on what is left. What no database can keep is refused first, by field.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_wire_value(data)
        return data


class InboxHealthRead(BaseModel):
    waiting: int
    oldest_waiting_seconds: float | None
    stale: int
    failed: int


class HealthRead(BaseModel):
    """``ok``, or ``degraded`` while webhook deliveries wait past the stale threshold."""

    status: str
    version: str
    inbox: InboxHealthRead
