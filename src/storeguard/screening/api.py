"""JSON routes: screen a checkout, read decisions, work the review queue, tune settings, backtest rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from storeguard.core.api import (
    Admin,
    Agent,
    CanRead,
    CanReviewOrders,
    Page,
    PagingDep,
    Reader,
    SessionDep,
    Viewer,
    authorize,
    refuse_unknown_query,
)
from storeguard.core.clock import now
from storeguard.core.enums import Role
from storeguard.core.models import WorkRun
from storeguard.core.runs import get_run, progress_of
from storeguard.core.schemas import Id
from storeguard.orders.models import Order
from storeguard.orders.schemas import OrderCreate, OrderRead
from storeguard.orders.service import get_order
from storeguard.screening import actions, service
from storeguard.screening.backtest import backtest
from storeguard.screening.backtest_runs import BACKTEST_KIND, backtest_job, start_backtest
from storeguard.screening.engine import screen_at_checkout
from storeguard.screening.enums import ScreeningSource
from storeguard.screening.models import Decision, ReviewNote, Verification
from storeguard.screening.schemas import (
    AddReviewNoteIn,
    ApproveReviewIn,
    BacktestIn,
    BacktestRunRead,
    CancelReviewIn,
    DecisionRead,
    ResolveVerificationIn,
    ReviewNoteRead,
    ReviewRead,
    ScreeningSettingsRead,
    ScreeningSettingsUpdate,
    ScreenOrderIn,
    VerificationRead,
    decision_json,
)
from storeguard.shops.api import ShopFilter
from storeguard.shops.service import get_shop

_PROBLEM = {"content": {"application/problem+json": {}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown one", **_PROBLEM},
    403: {"description": "The key's role is too weak", **_PROBLEM},
    422: {"description": "Invalid input (validation_failed names the missing fields)", **_PROBLEM},
}
router = APIRouter(prefix="/v1", responses=_RESPONSES)
# The checkout call alone, mounted before every other router: routes are tried in order, and
# reaching it behind a hundred others cost about a tenth of its time.
checkout_router = APIRouter(prefix="/v1", responses=_RESPONSES)


@checkout_router.post(
    "/screen",
    tags=["screening"],
    name="screening.screen",
    response_model=DecisionRead,
    # The key is checked inside (a dependency would cost a threadpool hop); the scheme is declared here.
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def screen_checkout(request: Request, body: ScreenOrderIn) -> Response:
    """Screen a prospective order at checkout: the decision, score, reasons and lines; nothing is stored."""
    # The checkout's hot path: it reads on a pooled connection without a session, checks the key
    # itself rather than through a dependency (each costs a threadpool hop), runs on the loop when the
    # database is in-process SQLite, and writes the answer straight to JSON bytes.
    reader: Reader = request.app.state.reader
    if reader.on_loop:
        payload = _screen_checkout(request, body, reader)
    else:
        payload = await run_in_threadpool(_screen_checkout, request, body, reader)
    return Response(payload, media_type="application/json")


screen_checkout.required_role = Role.viewer  # type: ignore[attr-defined]  # checked before the body


def _screen_checkout(request: Request, body: ScreenOrderIn, reader: Reader) -> bytes:
    with reader.open() as db:
        authorize(db, request, Role.viewer)
        refuse_unknown_query(request)
        return decision_json(screen_at_checkout(db, body).as_dict())


@router.get(
    "/orders/{order_id}/decisions",
    tags=["screening"],
    name="screening.decisions",
    response_model=list[DecisionRead],
)
def order_decisions(order_id: Id, actor: Viewer, session: SessionDep) -> list[Any]:
    """List the decisions stored for an order, oldest first."""
    service.get_held_order(session, order_id)
    return service.decisions_of(session, order_id)


@router.post(
    "/orders/{order_id}/screen", tags=["screening"], name="screening.rescreen", response_model=DecisionRead
)
def rescreen_order(order_id: Id, actor: Agent, session: SessionDep) -> Any:
    """Screen a stored order again and act on the answer (block cancels it per the shop's policy)."""

    service.get_held_order(session, order_id)
    decision = actions.screen_existing_order(
        session, order_id=order_id, actor=actor, source=ScreeningSource.rescreen
    )
    session.commit()
    return decision


def _review(session: Any, order: Order) -> ReviewRead:
    return _review_of(order, service.latest_decision(session, order.id), service.notes_of(session, order.id))


def _review_of(order: Order, decision: Decision | None, notes: list[ReviewNote]) -> ReviewRead:
    since = service.held_since(order)
    return ReviewRead(
        order_id=order.id,
        number=order.number,
        shop_id=order.shop_id,
        customer_id=order.customer_id,
        total=order.total,
        currency=order.currency,
        held_since=since,
        age_seconds=max(0, int((now() - since).total_seconds())),
        hold_reason=order.hold_reason,
        decision=DecisionRead.model_validate(decision) if decision is not None else None,
        notes=[ReviewNoteRead.model_validate(n) for n in notes],
    )


@router.get("/reviews", tags=["reviews"], name="reviews.list")
def list_reviews(
    actor: CanRead, session: SessionDep, paging: PagingDep, shop_id: ShopFilter
) -> Page[ReviewRead]:
    """List held orders, the longest held first, with how long each has waited and why it is held."""
    orders, total = service.review_queue(session, shop_id=shop_id, limit=paging.limit, offset=paging.offset)
    ids = [o.id for o in orders]
    decisions, notes = service.latest_decisions(session, ids), service.notes_by_order(session, ids)
    return Page(
        items=[_review_of(o, decisions.get(o.id), notes[o.id]) for o in orders],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/reviews/{order_id}", tags=["reviews"], name="reviews.detail")
def get_review(order_id: Id, actor: CanRead, session: SessionDep) -> ReviewRead:
    """Show one order in review with its decision and notes."""
    return _review(session, service.get_held_order(session, order_id))


@router.post("/reviews/{order_id}/approve", tags=["reviews"], name="reviews.approve")
def approve_review(
    order_id: Id, actor: CanReviewOrders, body: ApproveReviewIn, session: SessionDep
) -> ReviewRead:
    """Release a held order to fulfilment."""
    order = actions.approve_review(session, order_id=order_id, actor=actor, note=body.note)
    session.commit()
    return _review(session, order)


@router.post("/reviews/{order_id}/cancel", tags=["reviews"], name="reviews.cancel")
def cancel_review(
    order_id: Id, actor: CanReviewOrders, body: CancelReviewIn, session: SessionDep
) -> ReviewRead:
    """Cancel a held order, refunding and restocking as chosen (the shop's policy by default)."""
    order = actions.cancel_review(
        session, order_id=order_id, actor=actor, refund=body.refund, restock=body.restock, note=body.note
    )
    session.commit()
    return _review(session, order)


@router.post("/reviews/{order_id}/notes", tags=["reviews"], name="reviews.note", status_code=201)
def add_review_note(
    order_id: Id, actor: CanReviewOrders, body: AddReviewNoteIn, session: SessionDep
) -> ReviewNoteRead:
    """Add a note to an order in review."""
    note = actions.add_review_note(session, order_id=order_id, actor=actor, body=body.body)
    session.commit()
    return ReviewNoteRead.model_validate(note)


@router.get("/orders/{order_id}/verifications", tags=["screening"], name="verifications.list")
def list_verifications(order_id: Id, actor: Viewer, session: SessionDep) -> list[VerificationRead]:
    """List the verification steps an order needs or went through."""

    rows = session.scalars(
        select(Verification).where(Verification.order_id == order_id).order_by(Verification.id)
    )
    return [VerificationRead.model_validate(v) for v in rows]


@router.post("/verifications/{verification_id}/resolve", tags=["screening"], name="verifications.resolve")
def resolve_verification(
    verification_id: Id, actor: Agent, body: ResolveVerificationIn, session: SessionDep
) -> VerificationRead:
    """Record that a verification step was satisfied, failed or waived."""
    row = actions.resolve_verification(
        session, verification_id=verification_id, actor=actor, status=body.status
    )
    session.commit()
    return VerificationRead.model_validate(row)


@router.get("/screening/settings/{shop_id}", tags=["screening"], name="screening.settings")
def get_settings(shop_id: Id, actor: Viewer, session: SessionDep) -> ScreeningSettingsRead:
    """Show the shop's screening policy: signal weights, velocity limits, thresholds, segments, block policy."""

    shop = get_shop(session, shop_id)
    settings, revision = service.screening_settings(session, shop_id)
    return ScreeningSettingsRead(
        shop_id=shop_id, revision=revision, currency=shop.currency, settings=settings
    )


@router.patch("/screening/settings/{shop_id}", tags=["screening"], name="screening.settings_update")
def update_settings(
    shop_id: Id, actor: Admin, body: ScreeningSettingsUpdate, session: SessionDep
) -> ScreeningSettingsRead:
    """Change parts of the screening policy; what is left out keeps its value."""
    actions.update_screening_settings(session, shop_id=shop_id, actor=actor, changes=body.settings)
    session.commit()
    settings, revision = service.screening_settings(session, shop_id)
    currency = get_shop(session, shop_id).currency
    return ScreeningSettingsRead(shop_id=shop_id, revision=revision, currency=currency, settings=settings)


@router.post("/rules/backtest", tags=["rules"], name="rules.backtest")
def backtest_rules(actor: Viewer, body: BacktestIn, session: SessionDep) -> dict[str, Any]:
    """Run a draft rule or rule set over past orders: orders and revenue stopped, and the good ones among them."""
    sources = [body.rule] if body.rule else list(body.rules or [])
    # A refusal names the draft as it was sent: ``rule`` alone, or ``rules.N`` of the list.
    fields = ["rule"] if body.rule else [f"rules.{i}" for i in range(len(sources))]
    result = backtest(
        session,
        shop_id=body.shop_id,
        sources=sources,
        date_from=body.date_from,
        date_to=body.date_to,
        fields=fields,
    )
    return result.as_dict()


def _first_and_last_day(body: BacktestIn) -> tuple[date, date]:
    return body.date_from.date(), (body.date_to - timedelta(microseconds=1)).date()


@router.post(
    "/rules/backtests",
    tags=["rules"],
    name="rules.backtest_start",
    status_code=status.HTTP_202_ACCEPTED,
)
def start_rules_backtest(
    actor: Viewer, body: BacktestIn, request: Request, tasks: BackgroundTasks, session: SessionDep
) -> BacktestRunRead:
    """Start a backtest in the background, for ranges too long to wait on; poll its progress.

    The drafts and the range are checked first: a typo answers 422 at once and starts nothing.
    """
    sources = [body.rule] if body.rule else list(body.rules or [])
    fields = ["rule"] if body.rule else [f"rules.{i}" for i in range(len(sources))]
    first, last = _first_and_last_day(body)
    run = start_backtest(
        session,
        actor=actor,
        shop_id=body.shop_id,
        sources=sources,
        fields=fields,
        date_from=body.date_from,
        date_to=body.date_to,
        first=first,
        last=last,
    )
    session.commit()
    tasks.add_task(backtest_job, request.app.state.session_factory, run.id)
    return _run_read(run)


@router.get("/rules/backtests/{run_id}", tags=["rules"], name="rules.backtest_progress")
def rules_backtest_progress(actor: Viewer, run_id: Id, session: SessionDep) -> BacktestRunRead:
    """A background backtest: orders read so far of the range's, then its answer."""
    return _run_read(get_run(session, run_id, BACKTEST_KIND))


def _run_read(run: WorkRun) -> BacktestRunRead:
    progress = progress_of(run)
    return BacktestRunRead(
        id=run.id,
        status=str(run.status),
        done=progress.done,
        total=progress.total,
        result=run.result,
        error=run.error,
    )


# Creating an order is screening it (block answers 409, review holds it), so the route lives here.
@router.post("/orders", tags=["orders"], name="orders.create", status_code=status.HTTP_201_CREATED)
def create_order(actor: Agent, body: OrderCreate, session: SessionDep) -> OrderRead:
    """Create an order and screen it: block answers 409 with the decision, review holds it, verify asks for a step.

    Lines are priced from the catalogue unless given; stock goes down. The decision is at
    ``GET /v1/orders/{id}/decisions``.
    """

    order, _ = actions.accept_order(session, actor=actor, data=body)
    session.commit()
    return OrderRead.of(get_order(session, order.id))
