"""create_app(): mounts every domain's JSON routers and admin pages, and the error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storeguard import __version__
from storeguard.analytics.api import policy_router
from storeguard.analytics.api import router as analytics_router
from storeguard.analytics.replay_views import router as policy_replay_pages
from storeguard.analytics.views import router as analytics_pages
from storeguard.appeals.api import router as appeals_router
from storeguard.appeals.public import router as appeal_public_pages
from storeguard.appeals.views import router as appeals_pages
from storeguard.audit.views import router as audit_pages
from storeguard.cases.api import inbound_router as cases_inbound_router
from storeguard.cases.api import router as cases_router
from storeguard.cases.views import router as cases_pages
from storeguard.core.api import (
    Reader,
    SessionDep,
    check_key_first,
    install_error_handlers,
    refuse_unknown_query,
    session_slots,
)
from storeguard.core.config import Settings, get_settings
from storeguard.core.db import make_engine, make_session_factory
from storeguard.core.http import Edge
from storeguard.core.openapi import install_openapi
from storeguard.core.schemas import HealthRead
from storeguard.customers.api import router as customers_router
from storeguard.customers.views import router as customers_pages
from storeguard.dashboard.views import router as dashboard_pages
from storeguard.disputes.api import router as disputes_router
from storeguard.disputes.views import router as disputes_pages
from storeguard.integrations.api import router as integrations_router
from storeguard.integrations.events.api import router as events_router
from storeguard.integrations.events.views import router as events_pages
from storeguard.integrations.service import inbox_health
from storeguard.integrations.views import router as integrations_pages
from storeguard.integrations.webhooks.worker import BackgroundWork
from storeguard.lists.api import router as lists_router
from storeguard.lists.views import router as lists_pages
from storeguard.models import import_all_models
from storeguard.notifications.api import router as notifications_router
from storeguard.notifications.views import router as notifications_pages
from storeguard.orders.api import router as orders_router
from storeguard.orders.views import router as orders_pages
from storeguard.policies.api import router as policies_router
from storeguard.privacy.api import router as privacy_router
from storeguard.privacy.views import router as privacy_pages
from storeguard.returns.api import router as returns_router
from storeguard.returns.views import router as returns_pages
from storeguard.risk.api import router as risk_router
from storeguard.risk.views import router as risk_pages
from storeguard.rules.api import router as rules_router
from storeguard.rules.views import router as rules_pages
from storeguard.screening.api import checkout_router
from storeguard.screening.api import router as screening_router
from storeguard.screening.review_views import router as review_pages
from storeguard.screening.views import router as screening_pages
from storeguard.shops.api import router as shops_router
from storeguard.staff.pages import login_first
from storeguard.staff.settings_views import router as settings_pages
from storeguard.staff.views import router as staff_pages
from storeguard.web.errors import crash_page
from storeguard.web.setup import install_web

# Every package's routes, in the order they are matched (after the checkout's). A new package with
# routes adds its router here.
ROUTERS = (
    shops_router,
    events_router,
    orders_router,
    returns_router,
    disputes_router,
    policies_router,
    cases_router,
    risk_router,
    customers_router,
    lists_router,
    appeals_router,
    notifications_router,
    rules_router,
    screening_router,
    integrations_router,
    analytics_router,
    policy_router,
    privacy_router,
)

# The admin pages, each behind the login check (the login page itself checks on its own).
PAGE_ROUTERS = (
    dashboard_pages,
    orders_pages,
    returns_pages,
    disputes_pages,
    cases_pages,
    risk_pages,
    customers_pages,
    lists_pages,
    appeals_pages,
    notifications_pages,
    screening_pages,  # before rules: its /rules/backtest would read as a rule's id
    rules_pages,
    review_pages,
    policy_replay_pages,  # before analytics_pages: /analytics/{report} would take its path
    analytics_pages,
    privacy_pages,
    audit_pages,
    integrations_pages,
    events_pages,
    settings_pages,
)

DESCRIPTION = """
storeguard screens orders, keeps one record of customers and their linked identities, and lets a
small team block, restrict, notify, review and unblock customers in a documented, reversible way.

Authenticate with `Authorization: Bearer <key>` (create one with `storeguard apikey create`).
Money is integer minor units with an ISO 4217 currency; times are aware UTC in ISO 8601.
Refusals are RFC 9457 problem details with a machine-readable `code`.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    work = app.state.background_work
    if work is not None:
        work.start()
    yield
    if work is not None:
        work.stop()
    close = getattr(app.state.reader, "close", None)  # tests put in readers of their own
    if close is not None:
        close()


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> FastAPI:
    """Build the HTTP application around one database."""
    settings = settings or get_settings()
    import_all_models()
    app = FastAPI(
        title="storeguard",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served by install_openapi from the app's own files: it works offline
        redoc_url=None,
        lifespan=_lifespan,
    )
    pages = install_web(app)
    app.add_middleware(
        Edge,
        max_body_bytes=settings.max_body_bytes,
        max_webhook_body_bytes=settings.max_webhook_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        crash_page=crash_page,
    )
    own_database = session_factory is None
    if session_factory is None:
        engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)
        session_factory = make_session_factory(engine)
    # The app finishes what it accepted: stored deliveries and due outbound calls, its own and
    # those a previous process left. Tests that hand in their own sessions run it themselves.
    app.state.background_work = (
        BackgroundWork(session_factory, interval=settings.background_interval_seconds)
        if own_database and settings.background_work
        else None
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.session_slots = session_slots(engine if own_database else None)
    app.state.reader = Reader(engine, session_factory)  # for hot read-only routes: no session
    install_error_handlers(app, pages)
    install_openapi(app)

    @app.get("/healthz", tags=["meta"], response_model=HealthRead)
    def healthz(session: SessionDep) -> HealthRead:
        """Tell a load balancer the service is up, and an operator whether webhooks are waiting too long."""
        inbox = inbox_health(session, stale_after=timedelta(seconds=settings.inbox_stale_seconds))
        return HealthRead(status="degraded" if inbox["stale"] else "ok", version=__version__, inbox=inbox)

    app.include_router(checkout_router)  # first: the call every checkout makes is matched first
    # A mail relay signs with the shared secret: no API key.
    app.include_router(cases_inbound_router, dependencies=[Depends(refuse_unknown_query)])
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(check_key_first), Depends(refuse_unknown_query)])
    app.include_router(staff_pages)
    app.include_router(appeal_public_pages)  # the customer's appeal page: no login, the signed link decides
    for router in PAGE_ROUTERS:
        app.include_router(router, dependencies=[Depends(login_first)])
    return app
