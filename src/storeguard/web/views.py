"""The home page every login lands on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from storeguard.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", name="web.home")
def home(request: Request) -> Response:
    """Show where to go from here."""
    return render(request, "web/home.html")
