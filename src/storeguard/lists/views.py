"""Lists on the admin pages: for now the dashboard's figures of blocks made and ending this week."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.requests import Request

from storeguard.core.clock import now
from storeguard.lists import service
from storeguard.web.i18n import N_
from storeguard.web.panels import WEEK, Panel, add_panel, tile


def block_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Customer blocks made in the last seven days, and active ones that end in the next seven."""
    at = now()
    made, expiring = service.block_summary(
        session, week_ago=at - timedelta(days=7), week_ahead=at + timedelta(days=7)
    )
    return [
        tile(N_("Blocks made this week"), made, order=40, group=WEEK),
        tile(N_("Blocks ending this week"), expiring, order=41, group=WEEK),
    ]


add_panel("dashboard.tiles", "lists.blocks", block_tiles)
