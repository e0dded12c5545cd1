"""A backtest run in the background: the page polls its progress (orders read of the range's) and
then shows its answer, so a long range never holds a request open.

The draft and the range are checked before the run starts (a typo answers at once); the job reads
in a transaction of its own that takes no write lock, and writes only the run's answer at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.db import READ_ONLY
from storeguard.core.errors import Invalid
from storeguard.core.models import WorkRun
from storeguard.core.runs import finish_run, note_progress, run_job, start_run
from storeguard.orders.models import Order
from storeguard.screening.backtest import backtest, compile_drafts
from storeguard.screening.errors import ScreeningError
from storeguard.shops.service import get_shop

BACKTEST_KIND = "backtest"


def start_backtest(
    session: Session,
    *,
    actor: Actor,
    shop_id: int,
    sources: list[str],
    fields: list[str],
    date_from: datetime,
    date_to: datetime,
    first: date,
    last: date,
) -> WorkRun:
    """Check the draft and the range, then record a backtest run to be done in the background.

    ``sources`` are the drafts evaluated together, ``fields`` where a refusal points for each;
    ``first`` and ``last`` are the days asked for (the answer names them); the caller commits.
    """
    get_shop(session, shop_id, field="shop_id")
    if date_to <= date_from:
        raise Invalid(ScreeningError.invalid_range, "'to' must come after 'from'", field="to")
    compile_drafts(session, shop_id, sources, fields)
    total = session.scalar(
        select(func.count()).where(
            Order.shop_id == shop_id, Order.created_at >= date_from, Order.created_at < date_to
        )
    )
    params = {
        "shop_id": shop_id,
        "sources": sources,
        "fields": fields,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
    label = f"{first.isoformat()} – {last.isoformat()}"
    return start_run(session, kind=BACKTEST_KIND, label=label, total=total or 0, actor=actor, params=params)


def backtest_job(factory: Callable[[], Session], run_id: int) -> None:
    """Run the backtest in a session of its own (the background task the page starts)."""
    run_job(factory, run_id, _run_backtest)


def _run_backtest(session: Session, run: WorkRun) -> None:
    params, run_id = run.params, run.id
    session.rollback()  # the run was read in a write transaction; the backtest reads in its own
    session.connection(execution_options={READ_ONLY: True})  # on SQLite: no write lock while it reads
    result = backtest(
        session,
        shop_id=params["shop_id"],
        sources=params["sources"] if "sources" in params else [params["source"]],  # runs made before lists
        date_from=datetime.fromisoformat(params["from"]),
        date_to=datetime.fromisoformat(params["to"]),
        fields=params.get("fields", ["source"]),
        progress=partial(note_progress, run_id),
    )
    session.rollback()
    finish_run(session, run, done=result.orders, result=result.as_dict())
    session.commit()
