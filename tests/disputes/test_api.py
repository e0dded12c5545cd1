"""The disputes API: the inbox, a dispute with its history, an answer, a note, the calendar."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import select

from storeguard.core.enums import Role
from storeguard.disputes.models import Dispute
from tests.disputes.conftest import open_dispute


def test_the_inbox_gives_each_dispute_its_one_reason_and_deadline(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    page = client.get("/v1/disputes", params={"open": "true"}, headers=auth(Role.viewer)).json()

    assert page["total"] == 1
    item = page["items"][0]
    assert (item["id"], item["normalized_reason"], item["order_id"], item["overdue"]) == (
        dispute.id,
        "fraud",
        order.id,
        False,
    )


def test_an_agent_accepts_a_dispute_and_a_viewer_may_not(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    refused = client.post(
        f"/v1/disputes/{dispute.id}/accept", json={"reason": "x"}, headers=auth(Role.viewer)
    )
    accepted = client.post(
        f"/v1/disputes/{dispute.id}/accept", json={"reason": "Stolen card"}, headers=auth(Role.agent)
    )

    assert refused.status_code == 403
    assert (accepted.status_code, accepted.json()["status"], accepted.json()["response_note"]) == (
        200,
        "accepted",
        "Stolen card",
    )


def test_a_note_is_kept_and_shown_with_the_dispute(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    made = client.post(
        f"/v1/disputes/{dispute.id}/notes",
        json={"body": "Asked Posten for proof of delivery"},
        headers=auth(Role.agent),
    )
    shown = client.get(f"/v1/disputes/{dispute.id}", headers=auth(Role.viewer)).json()

    assert made.status_code == 201
    assert [n["body"] for n in shown["notes"]] == ["Asked Posten for proof of delivery"]
    assert [e["kind"] for e in shown["events"]] == ["charge.dispute.created"]


def test_an_unknown_dispute_is_a_404_problem(client, auth, session, order, team):
    answer = client.post("/v1/disputes/999999/contest", json={}, headers=auth(Role.agent))

    assert (answer.status_code, answer.json()["code"]) == (404, "dispute_not_found")
    assert session.scalar(select(Dispute)) is None


def test_the_calendar_has_an_event_with_reminders_for_each_deadline(client, auth, session, order, team):
    dispute = open_dispute(session, order)

    answer = client.get("/v1/disputes/calendar.ics", headers=auth(Role.viewer))

    calendar = Calendar.from_ical(answer.content)
    events = list(calendar.walk("VEVENT"))
    assert answer.headers["content-type"].startswith("text/calendar")
    assert [str(e["uid"]) for e in events] == [f"dispute-{dispute.id}@storeguard"]
    assert events[0].decoded("dtend") == dispute.evidence_due_at
    assert len(list(events[0].walk("VALARM"))) == 2
