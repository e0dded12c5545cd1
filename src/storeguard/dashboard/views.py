"""The dashboard every login lands on: what needs someone now, as each domain reports it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from storeguard.core.api import SessionDep
from storeguard.staff.pages import PageRead
from storeguard.web.context import NavItem, add_nav
from storeguard.web.i18n import N_
from storeguard.web.panels import ATTENTION, TODAY, WEEK, panels
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)

add_nav(NavItem(N_("Dashboard"), "/", order=10))
GROUPS = {ATTENTION: N_("Needs attention"), TODAY: N_("Decisions today"), WEEK: N_("Blocks this week")}


@router.get("/", name="dashboard")
def dashboard(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Show the figures each domain puts on the dashboard, each linking to the list behind it."""
    tiles = panels("dashboard.tiles", request, session)
    groups = [(title, [t for t in tiles if t.group == name]) for name, title in GROUPS.items()]
    others = [t for t in tiles if t.group not in GROUPS]
    context = {
        "groups": [(title, found) for title, found in [*groups, (N_("Other"), others)] if found],
        "wide": panels("dashboard.wide", request, session),
    }
    return render(request, "dashboard/index.html", context)
