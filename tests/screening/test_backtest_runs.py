"""A backtest started on the rule editor runs in the background; its page polls, then shows the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from storeguard.core.actor import Actor
from storeguard.core.enums import Role, RunStatus
from storeguard.core.models import WorkRun
from storeguard.core.runs import note_progress
from storeguard.screening import backtest_runs
from storeguard.screening.backtest import backtest
from storeguard.screening.backtest_runs import backtest_job, start_backtest
from tests.screening.test_backtest import _history

RULE = "block if order.total > 1000"
FORM = {"source": RULE, "date_from": "2025-01-01", "date_to": "2025-01-30"}
ANALYST = Actor("staff", "analyst@example.no", Role.agent)


def _only_run(session) -> WorkRun:
    session.expire_all()
    (run,) = session.scalars(select(WorkRun)).all()
    return run


def _run_count(session) -> int:
    return session.scalar(select(func.count()).select_from(WorkRun))


def _started(session, store) -> WorkRun:
    """A backtest run recorded as the page records one, its job not yet run."""
    run = start_backtest(
        session,
        actor=ANALYST,
        shop_id=store.shop.id,
        sources=[RULE],
        fields=["source"],
        date_from=datetime(2025, 1, 1, tzinfo=UTC),
        date_to=datetime(2025, 1, 31, tzinfo=UTC),
        first=date(2025, 1, 1),
        last=date(2025, 1, 30),
    )
    session.commit()
    return run


def _without_seconds(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "seconds"}


def test_a_backtest_form_goes_to_the_run_page(client, login, session):
    _history(session)
    me = login("agent")

    answer = client.post("/rules/backtest", data={"csrf_token": me.csrf, **FORM}, follow_redirects=False)

    run = _only_run(session)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/rules/backtests/{run.id}")


def test_a_backtest_run_gives_the_answer_of_a_backtest_run_at_once(client, login, session):
    shop_id = _history(session).shop.id
    me = login("agent")

    client.post("/rules/backtest", data={"csrf_token": me.csrf, **FORM}, follow_redirects=False)

    run = _only_run(session)
    expected = backtest(
        session,
        shop_id=shop_id,
        sources=[RULE],
        date_from=datetime(2025, 1, 1, tzinfo=UTC),
        date_to=datetime(2025, 1, 31, tzinfo=UTC),
        fields=["source"],
    ).as_dict()
    assert (run.kind, run.status, run.done, run.total) == ("backtest", "finished", 4, 4)
    assert _without_seconds(run.result) == _without_seconds(expected)


def test_an_htmx_backtest_answers_with_the_progress_part_that_asks_again(client, login, session):
    _history(session)
    me = login("agent")

    answer = client.post(
        "/rules/backtest", data={"csrf_token": me.csrf, **FORM}, headers={"HX-Request": "true"}
    )

    run = _only_run(session)
    assert answer.status_code == 200
    assert f'hx-get="/rules/backtests/{run.id}/progress" hx-trigger="every 1s"' in answer.text
    assert '<progress id="backtest-bar" max="4" value="0">' in answer.text


def test_the_progress_part_of_a_running_backtest_shows_orders_done_of_the_range(client, login, session):
    store = _history(session)
    login("agent")
    run = _started(session, store)
    note_progress(run.id, 3)

    part = client.get(f"/rules/backtests/{run.id}/progress")

    assert part.status_code == 200
    assert '<progress id="backtest-bar" max="4" value="3">' in part.text
    assert "3 of 4 orders" in part.text
    assert 'hx-trigger="every 1s"' in part.text


def test_the_progress_part_of_a_finished_backtest_is_its_answer_and_stops_asking(client, login, session):
    store = _history(session)
    login("agent")
    run = _started(session, store)

    backtest_job(lambda: session, run.id)
    part = client.get(f"/rules/backtests/{run.id}/progress")

    assert "hx-trigger" not in part.text and "<progress" not in part.text
    assert '<div id="backtest-result"' in part.text
    assert "would have been stopped" in part.text
    assert "Jan 1, 2025 to Jan 30, 2025: 4 orders" in part.text


def test_the_run_page_of_a_running_backtest_refreshes_itself_without_javascript(client, login, session):
    store = _history(session)
    login("agent")
    run = _started(session, store)

    page = client.get(f"/rules/backtests/{run.id}")

    assert page.status_code == 200
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text


def test_the_run_page_of_a_finished_backtest_does_not_refresh(client, login, session):
    store = _history(session)
    login("agent")
    run = _started(session, store)
    backtest_job(lambda: session, run.id)

    page = client.get(f"/rules/backtests/{run.id}")

    assert 'http-equiv="refresh"' not in page.text and "hx-trigger" not in page.text
    assert "would have been stopped" in page.text


def test_a_backtest_that_fails_shows_its_error(client, login, session, monkeypatch):
    store = _history(session)
    login("agent")
    run = _started(session, store)

    def broken(*_args, **_kw):
        raise RuntimeError("the orders could not be read")

    monkeypatch.setattr(backtest_runs, "backtest", broken)
    backtest_job(lambda: session, run.id)
    part = client.get(f"/rules/backtests/{run.id}/progress")

    session.expire_all()
    stored = session.get(WorkRun, run.id)
    assert (stored.status, stored.error, stored.result) == (
        RunStatus.failed,
        "the orders could not be read",
        None,
    )
    assert part.status_code == 200
    assert '<div class="check-bad" role="alert"><p>the orders could not be read</p></div>' in part.text


def test_a_bad_rule_answers_at_once_and_starts_no_run(client, login, session):
    _history(session)
    me = login("agent")

    answer = client.post(
        "/rules/backtest",
        data={"csrf_token": me.csrf, **FORM, "source": "block if order.totl > 1000"},
        headers={"HX-Request": "true"},
    )

    assert answer.status_code == 200
    assert 'class="check-bad"' in answer.text
    assert _run_count(session) == 0


def test_a_backtest_without_the_csrf_token_is_refused_and_starts_no_run(client, login, session):
    _history(session)
    login("agent")

    answer = client.post("/rules/backtest", data=FORM, follow_redirects=False)

    assert answer.status_code == 403
    assert _run_count(session) == 0


@pytest.mark.parametrize("path", ["/rules/backtests/{id}", "/rules/backtests/{id}/progress"])
def test_a_backtest_run_is_not_shown_to_someone_not_logged_in(client, session, path):
    store = _history(session)
    run = _started(session, store)

    answer = client.get(path.format(id=run.id), follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/login?next=" + quote(path.format(id=run.id), safe=""),
    )


def test_an_import_run_is_not_a_backtest_run(client, login, session):
    store = _history(session)
    login("agent")
    run = _started(session, store)

    assert client.get(f"/lists/imports/{run.id}").status_code == 404
