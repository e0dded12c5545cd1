"""Outbound events on the settings page: each subscription's latest deliveries with their attempts,
and a button to send one again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.schemas import Id
from storeguard.integrations.events import actions, service
from storeguard.staff.pages import PageManageSettings
from storeguard.web import flash
from storeguard.web.context import speaker
from storeguard.web.i18n import N_
from storeguard.web.panels import Panel, add_panel
from storeguard.web.timeline import register_event_words

RECENT = 10  # deliveries shown per subscription; the API pages through the rest

register_event_words(
    {
        "event_subscription.created": N_("Events subscribed"),
        "event_subscription.deleted": N_("Event subscription deleted"),
        "event_delivery.replayed": N_("Event sent again"),
    }
)

router = APIRouter(include_in_schema=False)


def events_section(request: Request, session: Session, _subject: object) -> Panel:
    """The subscriptions and what their receivers answered lately."""
    return Panel(
        "integrations/_events.html",
        {
            "subscriptions": [
                {"subscription": s, "deliveries": service.list_deliveries(session, s.id, limit=RECENT)[0]}
                for s in service.list_subscriptions(session)
            ]
        },
        order=45,
        title=N_("Events sent to your systems"),
        anchor="events-h",
    )


add_panel("settings.sections", "integrations.events", events_section)


@router.post("/settings/event-deliveries/{delivery_id}/replay", name="events.page_replay")
def replay(actor: PageManageSettings, request: Request, session: SessionDep, delivery_id: Id) -> Response:
    """Send one delivery again."""
    delivery = actions.replay(session, delivery_id=delivery_id, actor=actor)
    session.commit()
    response = RedirectResponse("/settings#events-h", status_code=303)
    flash.add(
        response, request, speaker(request).gettext("Event %(id)s will be sent again.", id=delivery.event_id)
    )
    return response
