"""Long work done in the background (a list import, a backtest): its run row and its progress.

The page that starts the work creates a run and hands a job to FastAPI's background tasks; the
job opens its own session, does the work and records how it ended. While it works, its progress
(rows or orders done) is kept here in the process for the page to poll: a list import holds its
writes in one transaction (all or nothing), and on SQLite that transaction holds the only write
lock, so a count committed per chunk could not be written beside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.clock import now
from storeguard.core.enums import RunStatus
from storeguard.core.errors import CommonError, DomainError, NotFound
from storeguard.core.models import WorkRun

log = logging.getLogger("storeguard.runs")

_live: dict[int, int] = {}  # run id -> units done so far, while its job works in this process
_live_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class RunProgress:
    """What a run's page shows: how far it got, and whether to keep asking."""

    run: WorkRun
    done: int
    total: int
    running: bool
    succeeded: bool
    has_bad_rows: bool


def start_run(
    session: Session, *, kind: str, label: str, total: int, actor: Actor, params: dict[str, Any]
) -> WorkRun:
    """Record a run of background work about to start; the caller commits, then starts the job."""
    run = WorkRun(
        kind=kind,
        label=label[:500],
        status=RunStatus.running,
        total=total,
        params=params,
        created_by=str(actor),
        started_at=now(),
    )
    session.add(run)
    session.flush()
    return run


def note_progress(run_id: int, done: int) -> None:
    """Record how much of the run's work is done (called by the job after every chunk)."""
    with _live_lock:
        _live[run_id] = done


def finish_run(
    session: Session,
    run: WorkRun,
    *,
    status: RunStatus = RunStatus.finished,
    done: int,
    total: int | None = None,
    created: int = 0,
    skipped: int = 0,
    failed: int = 0,
    result: dict[str, Any] | None = None,
) -> None:
    """Record how the run ended, with its counts and answer; the caller commits."""
    run.status = status
    run.done = done
    run.total = done if total is None else total
    run.created, run.skipped, run.failed = created, skipped, failed
    run.result = result
    run.finished_at = now()
    session.flush()
    _forget(run.id)


def fail_run(session: Session, run_id: int, message: str) -> None:
    """Mark the run failed with why; the caller commits."""
    run = session.get(WorkRun, run_id)
    if run is None:
        return
    run.status = RunStatus.failed
    run.error = message[:2000]
    run.done = max(run.done, _live.get(run_id, 0))
    run.finished_at = now()
    session.flush()
    _forget(run_id)


def run_job(factory: Callable[[], Session], run_id: int, work: Callable[[Session, WorkRun], None]) -> None:
    """Do a run's work in a session of its own; any error marks the run failed with its message.

    ``work`` ends the run itself (``finish_run``) and commits. Nothing is raised from here: the
    job runs after the answer was sent, so the run's page is the only place to tell of a failure.
    """
    session = factory()
    try:
        run = session.get(WorkRun, run_id)
        if run is None:
            return
        try:
            work(session, run)
        except Exception as exc:
            log.exception("background run %s (%s) failed", run_id, run.kind)
            session.rollback()
            fail_run(session, run_id, _message(exc))
            session.commit()
    except Exception:  # the database itself failed: the run stays running, and the log says why
        log.exception("background run %s could not be recorded", run_id)
    finally:
        _forget(run_id)
        session.close()


def get_run(session: Session, run_id: int, kind: str) -> WorkRun:
    """Return the run of this kind, or answer 404."""
    run = session.get(WorkRun, run_id)
    if run is None or run.kind != kind:
        raise NotFound(CommonError.not_found, f"there is no run {run_id}")
    return run


def progress_of(run: WorkRun) -> RunProgress:
    """Return the run as its page shows it: the latest count of a running job, or the stored one.

    No query: right after the run is started its page answers from the row just committed, while
    the job may already wait for SQLite's write lock.
    """
    running = run.status == RunStatus.running
    with _live_lock:
        done = max(run.done, _live.get(run.id, 0)) if running else run.done
    return RunProgress(
        run=run,
        done=done,
        total=max(run.total, done),
        running=running,
        succeeded=run.status == RunStatus.finished,
        has_bad_rows=run.failed > 0,
    )


def _forget(run_id: int) -> None:
    with _live_lock:
        _live.pop(run_id, None)


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc) or type(exc).__name__
