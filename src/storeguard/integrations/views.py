"""Integrations on the admin pages: for now the dashboard's figures of what failed for good."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from storeguard.integrations import service
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel, tile


def failure_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Webhook deliveries that failed for good and outbound messages that died: each needs a person."""
    failed, dead = service.failure_counts(session)
    return [
        tile(N_("Failed webhook deliveries"), failed, attention=failed > 0, order=50),
        tile(N_("Dead outbound messages"), dead, attention=dead > 0, order=51),
    ]


add_panel("dashboard.tiles", "integrations.failures", failure_tiles)
