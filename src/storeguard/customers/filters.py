"""Filters other domains add to the customers list (the page and ``GET /v1/customers``).

Risk knows each customer's segment and findings; customers imports no domain above it (as with
the page's panels), so risk registers a filter: its query parameter, the values it takes with
their words, which customers a value picks, and optionally how many customers each value has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.customers.enums import CustomerErrorCode


@dataclass(frozen=True)
class ListFilter:
    """One filter of the customers list, given by another domain."""

    name: str  # the query parameter
    label: str  # its name in the filter bar (a msgid)
    choices: Mapping[str, str]  # value -> its words (msgids), in the order the filter bar shows them
    picks: Callable[[str], ColumnElement[bool]]  # the customers a value picks, over Customer
    counts: Callable[[Session, int | None], Mapping[str, int]] | None = None  # per value, in a shop or all


_FILTERS: dict[str, ListFilter] = {}


def add_list_filter(list_filter: ListFilter) -> None:
    """Offer a filter on the customers list (registering one name twice keeps the last)."""
    _FILTERS[list_filter.name] = list_filter


def list_filters() -> list[ListFilter]:
    """The filters other domains gave the customers list, in the order they registered."""
    return list(_FILTERS.values())


def chosen_filters(given: Mapping[str, str | None]) -> dict[str, str]:
    """The registered filters given a value (an empty one means any); Invalid naming the field
    for a value that is not one of the filter's."""
    chosen: dict[str, str] = {}
    for name, value in given.items():
        list_filter = _FILTERS.get(name)
        if list_filter is None or value is None or value.strip() == "":
            continue
        value = value.strip()
        if value not in list_filter.choices:
            raise Invalid(
                CustomerErrorCode.unknown_filter_value,
                f"{name} is one of {', '.join(list_filter.choices)}, not {value!r}",
                field=name,
            )
        chosen[name] = value
    return chosen


def filter_clauses(chosen: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """The where clauses of the chosen filters, to combine with the list's own."""
    return [_FILTERS[name].picks(value) for name, value in chosen.items()]
