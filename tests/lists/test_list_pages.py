"""The lists page: entries by key with filters, lifting, export, and adding an entry (uploads: test_import_runs.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from storeguard.lists.models import ListEntry
from tests.factories import make_shop
from tests.lists.helpers import block_entry


def _entries(session) -> list[tuple]:
    session.expire_all()
    return [
        tuple(r)
        for r in session.execute(
            select(ListEntry.type, ListEntry.value, ListEntry.status).order_by(ListEntry.id)
        )
    ]


def test_the_page_filters_entries_by_type(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    block_entry(session, shop.id, "email", "bad@example.no")
    block_entry(session, shop.id, "phone", "+4791234567")
    login("viewer")

    page = client.get("/lists?type=email")

    assert page.status_code == 200
    assert "bad@example.no" in page.text and "+4791234567" not in page.text


def test_an_agent_lifts_an_entry_and_it_stays_on_record(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    entry = block_entry(session, shop.id, "email", "bad@example.no")
    me = login("agent")

    answer = client.post(
        f"/lists/entries/{entry.id}/lift",
        data={"csrf_token": me.csrf, "reason": "paid"},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert _entries(session) == [("email", "bad@example.no", "lifted")]


def test_the_export_is_a_csv_of_the_entries(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    block_entry(session, shop.id, "email", "bad@example.no")
    login("viewer")

    answer = client.get("/lists/export.csv")

    assert answer.headers["content-type"].startswith("text/csv")
    assert "bad@example.no" in answer.text.splitlines()[1]


def test_a_viewer_may_not_import_or_lift(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    entry = block_entry(session, shop.id, "email", "bad@example.no")
    me = login("viewer")

    lifted = client.post(f"/lists/entries/{entry.id}/lift", data={"csrf_token": me.csrf})
    imported = client.post(
        "/lists/import",
        data={"csrf_token": me.csrf},
        files={"file": ("l.csv", "type,value\nemail,x@example.no\n", "text/csv")},
    )

    assert (lifted.status_code, imported.status_code) == (403, 403)
    assert _entries(session) == [("email", "bad@example.no", "active")]


def test_an_agent_adds_an_entry_with_its_reason_and_note(client, login, session):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    answer = client.post(
        "/lists/entries",
        data={
            "csrf_token": me.csrf,
            "type": "email",
            "value": "Bad.Guy@Example.no",
            "kind": "block",
            "action": "review",
            "reason_code": "fraud",
            "notes": "chargebacks",
        },
        follow_redirects=False,
    )

    assert answer.status_code == 303
    row = session.execute(select(ListEntry.type, ListEntry.value, ListEntry.action, ListEntry.evidence)).one()
    assert tuple(row) == ("email", "bad.guy@example.no", "review", {"notes": ["chargebacks"]})


def test_an_entry_with_a_bad_value_is_shown_again_with_the_field_marked_and_nothing_stored(
    client, login, session
):
    make_shop(session, country="NO", currency="NOK")
    me = login("agent")

    answer = client.post(
        "/lists/entries",
        data={
            "csrf_token": me.csrf,
            "type": "phone",
            "value": "not a phone",
            "kind": "block",
            "action": "block",
            "reason_code": "fraud",
            "notes": "x",
        },
    )

    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 0


def test_an_entry_page_shows_the_entry_and_an_agent_changes_its_action_and_end(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    entry = block_entry(session, shop.id, "email", "bad@example.no")
    me = login("agent")

    page = client.get(f"/lists/entries/{entry.id}")
    changed = client.post(
        f"/lists/entries/{entry.id}",
        data={
            "csrf_token": me.csrf,
            "action": "review",
            "reason_code": "fraud",
            "expires": "2027-01-31",
            "note": "Watch",
        },
        follow_redirects=False,
    )

    session.expire_all()
    saved = session.get(ListEntry, entry.id)
    assert page.status_code == 200 and "bad@example.no" in page.text
    assert changed.status_code == 303
    assert (saved.action, saved.note, saved.expires_at.date().isoformat()) == (
        "review",
        "Watch",
        "2027-02-01",
    )


def test_a_bad_end_date_shows_the_entry_form_again_and_changes_nothing(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    entry = block_entry(session, shop.id, "email", "bad@example.no")
    me = login("agent")

    refused = client.post(
        f"/lists/entries/{entry.id}", data={"csrf_token": me.csrf, "action": "review", "expires": "someday"}
    )

    session.expire_all()
    assert refused.status_code == 422 and "Give a date." in refused.text
    assert (session.get(ListEntry, entry.id).action, session.get(ListEntry, entry.id).expires_at) == (
        "block",
        None,
    )


def test_a_viewer_sees_an_entry_without_the_change_form(client, login, session):
    shop = make_shop(session, country="NO", currency="NOK")
    entry = block_entry(session, shop.id, "email", "bad@example.no")
    me = login("viewer")

    page = client.get(f"/lists/entries/{entry.id}")
    forged = client.post(f"/lists/entries/{entry.id}", data={"csrf_token": me.csrf, "action": "review"})

    session.expire_all()
    assert "Save changes" not in page.text
    assert forged.status_code == 403 and session.get(ListEntry, entry.id).action == "block"
