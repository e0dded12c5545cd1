"""JSON routes for event subscriptions: subscribe, list, delete, read deliveries, replay one.

Reading takes ``read``; changing takes ``manage_settings``. The secret is answered once, on creation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from storeguard.core.api import CanManageSettings, CanRead, Page, PagingDep, SessionDep
from storeguard.core.schemas import Id
from storeguard.integrations.events import actions, service
from storeguard.integrations.events.schemas import (
    DeliveryRead,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionRead,
)
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import shop_or_only_shop

_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such subscription or delivery", **_PROBLEM},
    422: {"description": "Invalid input (event_url_invalid, event_unknown, events_required, …)", **_PROBLEM},
}
router = APIRouter(prefix="/v1", tags=["events"], responses=PROBLEMS)


@router.post("/event-subscriptions", name="events.subscribe", status_code=201)
def subscribe(actor: CanManageSettings, body: SubscriptionIn, session: SessionDep) -> SubscriptionCreated:
    """Subscribe a URL to events; the answer holds the signing secret, shown this once."""
    shop = shop_or_only_shop(session, body.shop_id)
    subscription, secret = actions.subscribe(
        session, shop_id=shop.id, url=body.url, events=body.events, actor=actor, description=body.description
    )
    answer = SubscriptionCreated(**SubscriptionRead.model_validate(subscription).model_dump(), secret=secret)
    session.commit()
    return answer


@router.get("/event-subscriptions", name="events.subscriptions")
def list_subscriptions(actor: CanRead, session: SessionDep, shop_id: ShopFilter) -> list[SubscriptionRead]:
    """Every subscription (not its secret), oldest first."""
    return [SubscriptionRead.model_validate(s) for s in service.list_subscriptions(session, shop_id=shop_id)]


@router.delete("/event-subscriptions/{subscription_id}", name="events.unsubscribe", status_code=204)
def unsubscribe(actor: CanManageSettings, subscription_id: Id, session: SessionDep) -> Response:
    """Stop sending events to this URL; deliveries not sent yet are given up."""
    actions.unsubscribe(session, subscription_id=subscription_id, actor=actor)
    session.commit()
    return Response(status_code=204)


@router.get("/event-subscriptions/{subscription_id}/deliveries", name="events.deliveries")
def list_deliveries(
    actor: CanRead, subscription_id: Id, session: SessionDep, paging: PagingDep
) -> Page[DeliveryRead]:
    """A subscription's deliveries, newest first, each with its attempts and state."""
    actions.get_subscription(session, subscription_id)
    rows, total = service.list_deliveries(session, subscription_id, limit=paging.limit, offset=paging.offset)
    return Page(items=rows, total=total, limit=paging.limit, offset=paging.offset)


@router.post("/event-deliveries/{delivery_id}/replay", name="events.replay", status_code=202)
def replay(actor: CanManageSettings, delivery_id: Id, session: SessionDep) -> DeliveryRead:
    """Send one delivery again (same event id and body, signed afresh)."""
    delivery = actions.replay(session, delivery_id=delivery_id, actor=actor)
    session.commit()
    return service.delivery_read(session, delivery)
