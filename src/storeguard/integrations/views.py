"""Integrations on the admin pages: the dashboard's figures of what failed for good, and the page
where a person sees webhook deliveries and outbound messages and sends a failed one again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from storeguard.core.api import SessionDep
from storeguard.core.enums import OutboxStatus
from storeguard.core.errors import DomainError
from storeguard.core.permissions import Permission
from storeguard.core.schemas import Id
from storeguard.integrations import actions, service
from storeguard.integrations.actions import GATEWAYS
from storeguard.integrations.enums import DeliveryStatus, SecretName
from storeguard.integrations.errors import IntegrationError
from storeguard.shops.service import get_shop, list_shops
from storeguard.staff.pages import PageManageIntegrations, PageManageSecrets
from storeguard.staff.settings_views import form_sent_to, show_settings_again
from storeguard.web import flash
from storeguard.web.context import NavItem, add_nav, speaker
from storeguard.web.forms import Form, FormDep, attempt, query_filters, sent
from storeguard.web.i18n import N_
from storeguard.web.pagination import decode_key, page_links
from storeguard.web.panels import Panel, add_panel, tile
from storeguard.web.refusals import describe, register_refusals
from storeguard.web.templating import render
from storeguard.web.timeline import register_event_words


def failure_tiles(request: Request, session: Session, _subject: object) -> list[Panel]:
    """Webhook deliveries that failed for good and outbound messages that died: each needs a person."""
    failed, dead = service.failure_counts(session)
    return [
        tile(
            N_("Failed webhook deliveries"),
            failed,
            attention=failed > 0,
            order=50,
            href="/integrations?status=failed",
        ),
        tile(
            N_("Dead outbound messages"),
            dead,
            attention=dead > 0,
            order=51,
            href="/integrations?outbox=dead#outbox-h",
        ),
    ]


add_panel("dashboard.tiles", "integrations.failures", failure_tiles)


router = APIRouter(include_in_schema=False)
register_event_words(
    {
        "integration_secret.set": N_("Secret set"),
        "integration_secret.rotated": N_("Secret replaced"),
        "webhook_delivery.retried": N_("Webhook delivery sent again"),
        "outbox_message.retried": N_("Outbound message sent again"),
    }
)
PAGE_SIZE = 50
OUTBOX_SHOWN = 50
add_nav(NavItem(N_("Integrations"), "/integrations", permission=Permission.manage_integrations, order=80))
DELIVERY_STATUS = {
    DeliveryStatus.received: (N_("Waiting"), "warn"),
    DeliveryStatus.processed: (N_("Processed"), "ok"),
    DeliveryStatus.ignored: (N_("Ignored"), ""),
    DeliveryStatus.failed: (N_("Failed"), "bad"),
}
OUTBOX_STATUS = {
    OutboxStatus.pending: (N_("Waiting"), "warn"),
    OutboxStatus.sent: (N_("Sent"), "ok"),
    OutboxStatus.dead: (N_("Dead"), "bad"),
}
register_refusals(
    {
        IntegrationError.delivery_not_failed: N_("This delivery did not fail, so there is nothing to retry."),
        IntegrationError.outbox_message_not_dead: N_(
            "This message is not dead, so there is nothing to retry."
        ),
    }
)


class IntegrationsFilter(BaseModel):
    """Which deliveries and outbound messages the page shows."""

    status: DeliveryStatus | None = None
    outbox: OutboxStatus | None = None


@router.get("/integrations", name="integrations.page")
def integrations_page(
    actor: PageManageIntegrations,
    request: Request,
    session: SessionDep,
    filters: Annotated[IntegrationsFilter, Depends(query_filters(IntegrationsFilter))],
    after: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """Webhook deliveries, newest first, by status (failed ones with their error), and the outbox."""
    page = service.delivery_page(
        session,
        filters.status,
        limit=PAGE_SIZE,
        after=decode_key(after, field="after"),
        before=decode_key(before, field="before"),
    )
    context = {
        "deliveries": page.rows,
        "links": page_links(request, page, lambda d: (d.received_at, d.id)),
        "messages": service.outbox_page(session, filters.outbox, limit=OUTBOX_SHOWN),
        "filters": filters,
        "delivery_status": DELIVERY_STATUS,
        "outbox_status": OUTBOX_STATUS,
    }
    return render(request, "integrations/index.html", context)


def _back(request: Request, message: str) -> Response:
    response = RedirectResponse(request.headers.get("hx-current-url") or "/integrations", status_code=303)
    flash.add(response, request, message)
    return response


@router.post("/integrations/deliveries/{delivery_pk}/retry", name="integrations.page_delivery_retry")
def retry_delivery_page(
    actor: PageManageIntegrations, request: Request, session: SessionDep, delivery_pk: Id
) -> Response:
    """Queue a failed delivery again; the background work processes it within a second or two."""
    said = speaker(request)
    try:
        with attempt(session):
            actions.retry_failed_delivery(session, delivery_pk, actor=actor)
    except DomainError as error:
        if error.status == 404:
            raise
        return _back(request, describe(error, said))
    session.commit()
    return _back(request, said.gettext("Delivery %(id)s is queued again.", id=delivery_pk))


@router.post("/integrations/outbox/{message_id}/retry", name="integrations.page_outbox_retry")
def retry_outbox_page(
    actor: PageManageIntegrations, request: Request, session: SessionDep, message_id: Id
) -> Response:
    """Queue a dead outbound message again."""
    said = speaker(request)
    try:
        with attempt(session):
            actions.retry_outbound(session, message_id, actor=actor)
    except DomainError as error:
        if error.status == 404:
            raise
        return _back(request, describe(error, said))
    session.commit()
    return _back(request, said.gettext("Message %(id)s is queued again.", id=message_id))


# ---- settings: shops and gateways, and whether their secrets are set ----------------------------

GATEWAY_NAMES = {"stripe": "Stripe", "square": "Square", "paypal": "PayPal"}


def connections_section(request: Request, session: Session, _subject: object) -> Panel | None:
    """The shops and gateways storeguard hears from, which secrets each has (never their values)."""
    user = getattr(request.state, "page_user", None)
    if user is None or not user.can(Permission.manage_secrets):
        return None
    states = service.secret_states(session)
    base = str(request.base_url).rstrip("/")
    shops, _ = list_shops(session, limit=50)
    return Panel(
        "integrations/_connections.html",
        {
            "shops": [
                {
                    "shop": shop,
                    "webhook_url": f"{base}/webhooks/{shop.platform}/{shop.domain}",
                    "webhook_secret": states.get(("shop", shop.domain, SecretName.webhook_secret)),
                    "access_token": states.get(("shop", shop.domain, SecretName.access_token)),
                }
                for shop in shops
            ],
            "gateways": [
                {
                    "gateway": gateway,
                    "name": GATEWAY_NAMES[gateway],
                    "webhook_url": f"{base}/webhooks/{gateway}",
                    # PayPal signs with its own key: what it needs from us is the webhook's id.
                    "secret_label": N_("Webhook id") if gateway == "paypal" else N_("New signing secret"),
                    "asks_url": gateway == "square",  # Square signs the URL it posted to
                    "secret": states.get(
                        (
                            "gateway",
                            gateway,
                            SecretName.webhook_id if gateway == "paypal" else SecretName.webhook_secret,
                        )
                    ),
                }
                for gateway in GATEWAYS
            ],
            "form": form_sent_to(request, "connections") or Form(),
        },
        order=40,
        title=N_("Shops and gateways"),
        anchor="connections-h",
    )


add_panel("settings.sections", "integrations.connections", connections_section)


@router.post("/settings/shops/{shop_id}/secrets", name="integrations.page_shop_secrets")
def set_shop_secrets(
    actor: PageManageSecrets, request: Request, session: SessionDep, shop_id: Id, data: FormDep
) -> Response:
    """Store a shop's webhook secret and API token; an empty field leaves that one as it is."""
    said, form = speaker(request), sent(data)
    shop = get_shop(session, shop_id)
    secret, token = (str(form.value(k)).strip() or None for k in ("webhook_secret", "access_token"))
    if secret is None and token is None:
        form.message = said.gettext(
            "Type a new webhook secret or access token; empty fields are left as they are."
        )
        return show_settings_again(request, session, "connections", _forget_secrets(form), status=422)
    try:
        with attempt(session):
            actions.configure_shop(
                session, shop.domain, actor=actor, webhook_secret=secret, access_token=token
            )
    except DomainError as error:
        form.message = describe(error, said)
        return show_settings_again(
            request, session, "connections", _forget_secrets(form), status=error.status
        )
    session.commit()
    response = RedirectResponse("/settings#connections-h", status_code=303)
    flash.add(response, request, said.gettext("The secrets of %(shop)s are saved.", shop=shop.domain))
    return response


@router.post("/settings/gateways/{gateway}/secret", name="integrations.page_gateway_secret")
def set_gateway_secret(
    actor: PageManageSecrets, request: Request, session: SessionDep, gateway: str, data: FormDep
) -> Response:
    """Store a gateway's webhook signing secret (PayPal: its webhook id); the old one works a while."""
    said, form = speaker(request), sent(data)
    secret = str(form.value("secret")).strip()
    url = str(form.value("notification_url")).strip() or None
    try:
        with attempt(session):
            actions.configure_gateway(session, gateway, secret, actor=actor, notification_url=url)
    except DomainError as error:
        form.message = describe(error, said)
        return show_settings_again(
            request, session, "connections", _forget_secrets(form), status=error.status
        )
    session.commit()
    response = RedirectResponse("/settings#connections-h", status_code=303)
    name = GATEWAY_NAMES.get(gateway, gateway)
    flash.add(response, request, said.gettext("The %(gateway)s secret is saved.", gateway=name))
    return response


def _forget_secrets(form: Form) -> Form:
    """A secret is never written back into a page, not even the one just refused."""
    return Form(errors=form.errors, message=form.message)
