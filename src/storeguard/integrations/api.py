"""Webhook endpoints (the signature is the authentication) and the integrations admin API."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from sqlalchemy.orm import Session

from storeguard.core.api import Admin, CanManageSecrets, Page, PagingDep, SessionDep
from storeguard.core.enums import OutboxStatus
from storeguard.core.schemas import Id
from storeguard.integrations import actions, service
from storeguard.integrations.actions import configure_gateway, configure_shop, retry_outbound
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.platforms.paypal.signature import fetch_certificate
from storeguard.integrations.schemas import (
    DeliveryRead,
    GatewaySecretIn,
    OutboxMessageRead,
    SecretsSetRead,
    ShopSecretsIn,
    WebhookAck,
)
from storeguard.integrations.webhooks import receive
from storeguard.integrations.webhooks.inbox import process_delivery

log = logging.getLogger(__name__)


async def raw_body(request: Request) -> bytes:
    """Read the exact bytes that were signed, before anything parses them."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def process_later(factory: Any, delivery_pk: int) -> None:
    """Process one delivery after the acknowledgement, in a session of its own."""
    session = factory()
    try:
        process_delivery(session, delivery_pk)
    except Exception:  # the row stays 'received'; the worker or next start finishes it
        log.exception("processing webhook delivery %s failed; it stays in the inbox", delivery_pk)
    finally:
        session.close()


def _acknowledge(
    request: Request, tasks: BackgroundTasks, session: Session, stored: int | None, delivery_id: str
) -> WebhookAck:
    session.commit()  # durable before the 200: a crash from here on loses nothing
    if stored is None:
        return WebhookAck(status="duplicate", delivery_id=delivery_id)
    if getattr(request.app.state, "process_webhooks_inline", True):
        tasks.add_task(process_later, request.app.state.session_factory, stored)
    return WebhookAck(status="accepted", delivery_id=delivery_id)


router = APIRouter(tags=["integrations"])


@router.post("/webhooks/shopify/{shop}", response_model=WebhookAck, name="integrations.shopify_webhook")
def shopify_webhook(
    shop: str, request: Request, tasks: BackgroundTasks, session: SessionDep, body: RawBody
) -> WebhookAck:
    """Receive a Shopify webhook for one shop, verified by X-Shopify-Hmac-Sha256."""
    stored, delivery_id = receive.receive_shopify(session, shop, body, request.headers)
    return _acknowledge(request, tasks, session, stored, delivery_id)


@router.post("/webhooks/stripe", response_model=WebhookAck, name="integrations.stripe_webhook")
def stripe_webhook(
    request: Request, tasks: BackgroundTasks, session: SessionDep, body: RawBody
) -> WebhookAck:
    """Receive a Stripe event, verified by Stripe-Signature."""
    stored, delivery_id = receive.receive_stripe(session, body, request.headers)
    return _acknowledge(request, tasks, session, stored, delivery_id)


@router.post("/webhooks/square", response_model=WebhookAck, name="integrations.square_webhook")
def square_webhook(
    request: Request, tasks: BackgroundTasks, session: SessionDep, body: RawBody
) -> WebhookAck:
    """Receive a Square event, verified by x-square-hmacsha256-signature over URL and body."""
    stored, delivery_id = receive.receive_square(session, str(request.url), body, request.headers)
    return _acknowledge(request, tasks, session, stored, delivery_id)


@router.post("/webhooks/paypal", response_model=WebhookAck, name="integrations.paypal_webhook")
def paypal_webhook(
    request: Request, tasks: BackgroundTasks, session: SessionDep, body: RawBody
) -> WebhookAck:
    """Receive a PayPal event, verified by its RSA transmission signature."""
    loader = getattr(request.app.state, "paypal_cert_loader", fetch_certificate)
    stored, delivery_id = receive.receive_paypal(session, body, request.headers, loader)
    return _acknowledge(request, tasks, session, stored, delivery_id)


@router.put(
    "/v1/gateways/{gateway}/secret", response_model=SecretsSetRead, name="integrations.gateway_secret"
)
def set_gateway_secret(
    gateway: str, data: GatewaySecretIn, session: SessionDep, actor: CanManageSecrets
) -> SecretsSetRead:
    """Store a gateway's webhook secret (the previous one stays valid during a rotation)."""
    stored = configure_gateway(
        session,
        gateway,
        data.secret,
        actor=actor,
        webhook_id=data.webhook_id,
        notification_url=data.notification_url,
    )
    session.commit()
    return SecretsSetRead(owner=gateway, stored=stored)


@router.put(
    "/v1/integrations/shops/{domain}/secrets", response_model=SecretsSetRead, name="integrations.shop_secrets"
)
def set_shop_secrets(
    domain: str, data: ShopSecretsIn, session: SessionDep, actor: CanManageSecrets
) -> SecretsSetRead:
    """Store a shop's webhook secret and Admin API access token."""
    stored = configure_shop(
        session,
        domain,
        actor=actor,
        webhook_secret=data.webhook_secret,
        access_token=data.access_token,
        api_base_url=data.api_base_url,
    )
    session.commit()
    return SecretsSetRead(owner=domain, stored=stored)


@router.get("/v1/integrations/outbox", response_model=Page[OutboxMessageRead], name="integrations.outbox")
def list_outbox(
    session: SessionDep,
    actor: Admin,
    paging: PagingDep,
    status: Annotated[OutboxStatus, Query()] = OutboxStatus.dead,
) -> Page[OutboxMessageRead]:
    """List outbound calls by status; dead letters by default."""
    rows, total = service.list_outbox(session, status, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[OutboxMessageRead.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post(
    "/v1/integrations/outbox/{message_id}/retry",
    response_model=OutboxMessageRead,
    name="integrations.outbox_retry",
)
def retry_outbox(message_id: Id, session: SessionDep, actor: Admin) -> OutboxMessageRead:
    """Send a dead outbound call again."""
    message = retry_outbound(session, message_id, actor=actor)
    session.commit()
    return OutboxMessageRead.model_validate(message)


@router.get("/v1/integrations/deliveries", response_model=Page[DeliveryRead], name="integrations.deliveries")
def list_deliveries(
    session: SessionDep,
    actor: Admin,
    paging: PagingDep,
    request: Request,
    status: Annotated[DeliveryStatus, Query()] = DeliveryStatus.failed,
    stale: Annotated[bool, Query(description="Only those waiting longer than the stale threshold.")] = False,
) -> Page[DeliveryRead]:
    """List webhook deliveries by status (failed ones by default), or the stale ones still waiting."""
    threshold = timedelta(seconds=request.app.state.settings.inbox_stale_seconds)
    rows, total = service.list_deliveries(
        session,
        DeliveryStatus.received if stale else status,
        limit=paging.limit,
        offset=paging.offset,
        waiting_longer_than=threshold if stale else None,
    )
    return Page(
        items=[DeliveryRead.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post(
    "/v1/integrations/deliveries/{delivery_pk}/retry",
    response_model=DeliveryRead,
    name="integrations.delivery_retry",
)
def retry_failed_delivery(
    delivery_pk: Id, request: Request, tasks: BackgroundTasks, session: SessionDep, actor: Admin
) -> DeliveryRead:
    """Process a failed delivery again (after its cause was fixed); one that did not fail is refused."""
    delivery = actions.retry_failed_delivery(session, delivery_pk, actor=actor)
    session.commit()
    if getattr(request.app.state, "process_webhooks_inline", True):
        tasks.add_task(process_later, request.app.state.session_factory, delivery.id)
    return DeliveryRead.model_validate(delivery)
