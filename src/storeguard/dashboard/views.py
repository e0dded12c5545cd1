"""The dashboard every login lands on: what needs someone now, as each domain reports it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from storeguard.core.api import SessionDep
from storeguard.staff.pages import PageRead
from storeguard.web.context import NavItem, add_nav
from storeguard.web.i18n import N_
from storeguard.web.panels import panels
from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)

add_nav(NavItem(N_("Dashboard"), "/", order=10))


@router.get("/", name="dashboard")
def dashboard(actor: PageRead, request: Request, session: SessionDep) -> Response:
    """Show the figures each domain puts on the dashboard, each linking to the list behind it."""
    context = {
        "tiles": panels("dashboard.tiles", request, session),
        "wide": panels("dashboard.wide", request, session),
    }
    return render(request, "dashboard/index.html", context)
