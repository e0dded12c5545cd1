"""Panels: parts of one domain's page that another domain fills in, without either importing the other.

The order page shows its screening decision, and later its returns and disputes; the dashboard
shows what each domain says needs attention. A domain's views register a function for a slot
(``order.side``, ``dashboard.tiles``); the page asks the slot for what to show, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request


@dataclass(frozen=True)
class Panel:
    """A part of a page: the template that draws it and what the template needs."""

    template: str
    context: dict[str, Any]
    order: int = 100
    group: str = ""  # where on its page: the dashboard's ATTENTION, TODAY or WEEK
    title: str = ""  # for a page's contents (English, translated when shown), with the heading's id
    anchor: str = ""


# The dashboard's groups of figures, in the order it shows them.
ATTENTION, TODAY, WEEK = "attention", "today", "week"


# (request, session, subject) -> a panel, several, or None when there is nothing to show
Filler = Callable[[Request, Session, Any], Panel | list[Panel] | None]
_SLOTS: dict[str, dict[str, Filler]] = {}


def add_panel(slot: str, name: str, filler: Filler) -> None:
    """Register what a domain shows in a slot of another domain's page (again under a name: replaced)."""
    _SLOTS.setdefault(slot, {})[name] = filler


def panels(slot: str, request: Request, session: Session, subject: Any = None) -> list[Panel]:
    """Return the panels of a slot for one subject, in their order."""
    found: list[Panel] = []
    for filler in _SLOTS.get(slot, {}).values():
        made = filler(request, session, subject)
        found.extend(made if isinstance(made, list) else [made] if made is not None else [])
    return sorted(found, key=lambda p: p.order)


def tile(
    label: str,
    figure: int,
    *,
    note: str | None = None,
    href: str | None = None,
    attention: bool = False,
    order: int = 100,
    group: str = ATTENTION,
) -> Panel:
    """A dashboard figure: what it counts (English, translated when shown), the number, where to look."""
    return Panel(
        "web/_tile.html",
        {"label": label, "figure": figure, "note": note, "href": href, "attention": attention},
        order=order,
        group=group,
    )
