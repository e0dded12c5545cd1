"""A list CSV uploaded on the page is imported in the background; its run page shows how far it got."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from storeguard.core.actor import Actor
from storeguard.core.enums import Role, RunStatus
from storeguard.core.models import WorkRun
from storeguard.core.runs import note_progress
from storeguard.lists.imports import import_job, start_list_import
from storeguard.lists.models import ListEntry
from tests.factories import make_shop

GOOD = "type,value,reason_code,evidence_notes\nemail,a@example.no,fraud,seen\nemail,b@example.no,fraud,seen\n"
ONE_BAD = (
    "type,value,reason_code,evidence_notes\n"
    "email,ok@example.no,fraud,seen\n"
    "phone,not-a-phone,fraud,seen\n"
    "email,also-ok@example.no,fraud,seen\n"
    "email,not-an-email,fraud,seen\n"
)
AGENT = Actor("staff", "agent@example.no", Role.agent)


@pytest.fixture(autouse=True)
def data_dir(app, tmp_path: Path) -> Path:
    """Uploads go under the test's own directory (the app fixture restores its settings after)."""
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return tmp_path


def _upload(client, me, text: str, name: str = "list.csv"):
    return client.post(
        "/lists/import",
        data={"csrf_token": me.csrf},
        files={"file": (name, text, "text/csv")},
        follow_redirects=False,
    )


def _only_run(session) -> WorkRun:
    session.expire_all()
    (run,) = session.scalars(select(WorkRun)).all()
    return run


def _entry_count(session) -> int:
    return session.scalar(select(func.count()).select_from(ListEntry))


def _saved_run(session, data_dir: Path, text: str, name: str = "list.csv") -> WorkRun:
    """A run started as the page starts one, its job not yet run."""
    path = data_dir / "uploads" / "saved.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    run = start_list_import(
        session, actor=AGENT, file_name=name, path=path, rows=text.count("\n") - 1, note=None
    )
    session.commit()
    return run


def test_an_upload_is_sent_to_its_run_page(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    answer = _upload(client, me, GOOD)

    run = _only_run(session)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/lists/imports/{run.id}")


def test_an_upload_of_good_rows_finishes_with_every_entry_created(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    _upload(client, me, GOOD)

    run = _only_run(session)
    assert (run.kind, run.label, run.status, run.done, run.total) == (
        "list_import",
        "list.csv",
        "finished",
        2,
        2,
    )
    assert (run.created, run.skipped, run.failed, run.error) == (2, 0, 0, None)
    assert session.scalars(select(ListEntry.value).order_by(ListEntry.id)).all() == [
        "a@example.no",
        "b@example.no",
    ]


def test_an_upload_of_rows_already_on_the_list_counts_them_as_skipped(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")
    _upload(client, me, GOOD)

    _upload(client, me, GOOD)

    session.expire_all()
    second = session.scalars(select(WorkRun).order_by(WorkRun.id.desc())).first()
    assert (second.status, second.created, second.skipped, second.failed) == ("finished", 0, 2, 0)
    assert _entry_count(session) == 2


def test_an_upload_with_bad_rows_stores_nothing_and_counts_the_bad_rows(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    _upload(client, me, ONE_BAD)

    run = _only_run(session)
    assert (run.status, run.done, run.total, run.created, run.skipped, run.failed) == (
        "refused",
        4,
        4,
        0,
        0,
        2,
    )
    assert _entry_count(session) == 0


def test_the_bad_rows_report_has_exactly_the_bad_rows_with_their_line_and_problem(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")
    _upload(client, me, ONE_BAD)
    run = _only_run(session)

    answer = client.get(f"/lists/imports/{run.id}/bad-rows.csv")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = answer.text.splitlines()
    assert rows[0] == "row,field,problem"
    assert [r.split(",")[:2] for r in rows[1:]] == [["3", "phone"], ["5", "email"]]
    assert [m for _, _, m in run.result["bad_rows"]] == [r.split(",", 2)[2].strip('"') for r in rows[1:]]


def test_the_run_page_shows_the_file_counts_and_the_report_link_when_finished(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")
    _upload(client, me, ONE_BAD, name="old-shop.csv")
    run = _only_run(session)

    page = client.get(f"/lists/imports/{run.id}")

    assert page.status_code == 200
    assert "old-shop.csv" in page.text
    assert '<progress id="import-bar" max="4" value="4">' in page.text
    assert "4 of 4 rows" in page.text
    assert f'href="/lists/imports/{run.id}/bad-rows.csv"' in page.text
    assert 'href="/lists">' in page.text
    assert "hx-trigger" not in page.text and 'http-equiv="refresh"' not in page.text


def test_the_progress_part_of_a_running_import_asks_again_every_second(client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    login("agent")
    run = _saved_run(session, data_dir, GOOD)
    note_progress(run.id, 1)

    part = client.get(f"/lists/imports/{run.id}/progress")

    assert part.status_code == 200
    assert f'hx-get="/lists/imports/{run.id}/progress" hx-trigger="every 1s"' in part.text
    assert '<progress id="import-bar" max="2" value="1">' in part.text
    assert "bad-rows.csv" not in part.text and 'href="/lists">' not in part.text


def test_the_progress_part_of_a_finished_import_stops_asking(client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    login("agent")
    run = _saved_run(session, data_dir, GOOD)

    import_job(lambda: session, run.id)
    part = client.get(f"/lists/imports/{run.id}/progress")

    assert "hx-trigger" not in part.text
    assert '<progress id="import-bar" max="2" value="2">' in part.text
    assert 'href="/lists">' in part.text


def test_the_run_page_of_a_running_import_refreshes_itself_without_javascript(
    client, login, session, data_dir
):
    make_shop(session, country="NO", currency="NOK")
    login("agent")
    run = _saved_run(session, data_dir, GOOD)

    page = client.get(f"/lists/imports/{run.id}")

    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text


def test_the_uploaded_file_is_removed_once_imported(client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    _upload(client, me, GOOD)

    assert list((data_dir / "uploads").iterdir()) == []


def test_a_file_without_the_needed_columns_fails_with_its_error_on_the_page(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    _upload(client, me, "type,name\nemail,a@example.no\n")
    run = _only_run(session)
    page = client.get(f"/lists/imports/{run.id}")

    assert (run.status, run.created, run.error) == (
        "failed",
        0,
        "the CSV header needs at least type and value; it has ['name', 'type']",
    )
    assert page.status_code == 200
    assert (
        "the CSV header needs at least type and value; it has [&#39;name&#39;, &#39;type&#39;]" in page.text
    )
    assert _entry_count(session) == 0


def test_a_file_that_is_not_utf8_fails_with_its_error(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    client.post(
        "/lists/import",
        data={"csrf_token": me.csrf},
        files={"file": ("l.csv", b"type,value\nemail,\xff\xfe@example.no\n", "text/csv")},
        follow_redirects=False,
    )

    run = _only_run(session)
    assert (run.status, run.error) == ("failed", "The file is not UTF-8 text.")


def test_an_import_whose_file_is_gone_is_marked_failed_not_raised(client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    login("agent")
    run = _saved_run(session, data_dir, GOOD)
    Path(run.params["path"]).unlink()

    import_job(lambda: session, run.id)

    session.expire_all()
    assert session.get(WorkRun, run.id).status == RunStatus.failed
    assert "No such file or directory" in session.get(WorkRun, run.id).error
    assert _entry_count(session) == 0


def test_a_file_over_the_limit_is_refused_and_nothing_is_saved(app, client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 1024})

    answer = _upload(client, me, GOOD + "email,c@example.no,fraud,seen\n" * 40)

    assert answer.status_code == 413
    assert "storeguard lists import" in answer.text
    assert session.scalar(select(func.count()).select_from(WorkRun)) == 0
    assert list((data_dir / "uploads").iterdir()) == []


def test_an_upload_without_a_file_is_refused_and_no_run_starts(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    answer = client.post("/lists/import", data={"csrf_token": me.csrf}, follow_redirects=False)

    assert answer.status_code == 422
    assert session.scalar(select(func.count()).select_from(WorkRun)) == 0


def test_a_viewer_may_not_see_an_import_run_or_its_report(client, login, session, data_dir):
    make_shop(session, country="NO", currency="NOK")
    run = _saved_run(session, data_dir, GOOD)
    login("viewer")

    answers = [
        client.get(f"/lists/imports/{run.id}").status_code,
        client.get(f"/lists/imports/{run.id}/progress").status_code,
        client.get(f"/lists/imports/{run.id}/bad-rows.csv").status_code,
    ]

    assert answers == [403, 403, 403]
    session.expire_all()
    assert session.get(WorkRun, run.id).status == RunStatus.running


def test_an_upload_without_the_csrf_token_is_refused_and_no_run_starts(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    login("agent")

    answer = client.post("/lists/import", files={"file": ("l.csv", GOOD, "text/csv")}, follow_redirects=False)

    assert answer.status_code == 403
    assert session.scalar(select(func.count()).select_from(WorkRun)) == 0


def test_an_unknown_run_answers_404(client, login, session):
    login("agent")

    assert client.get("/lists/imports/999999").status_code == 404
