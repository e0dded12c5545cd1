"""The disputes API: the inbox, a dispute with its history, an answer, a note, the calendar."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import func, select

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


def test_a_dispute_entered_by_hand_joins_the_inbox_on_its_order(client, auth, session, order, team):
    answer = client.post(
        "/v1/disputes",
        json={
            "order_id": order.id,
            "amount": 129_900,
            "currency": "nok",
            "reason": "not_received",
            "evidence_due_at": "2030-01-10T12:00:00+00:00",
            "gateway_dispute_id": "BANK-77",
            "note": "Letter from the bank",
        },
        headers=auth(Role.agent),
    )

    body = answer.json()
    assert (
        answer.status_code,
        body["gateway"],
        body["normalized_reason"],
        body["order_id"],
        body["currency"],
    ) == (
        201,
        "manual",
        "not_received",
        order.id,
        "NOK",
    )
    assert body["status"] == "needs_response"


def test_a_dispute_entered_twice_under_one_reference_is_refused(client, auth, session, order, team):
    sent = {
        "order_id": order.id,
        "amount": 100,
        "currency": "NOK",
        "reason": "fraud",
        "gateway_dispute_id": "B-1",
    }
    client.post("/v1/disputes", json=sent, headers=auth(Role.agent))

    again = client.post("/v1/disputes", json=sent, headers=auth(Role.agent))

    assert (again.status_code, again.json()["code"]) == (409, "dispute_exists")
    assert session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_a_dispute_by_hand_needs_a_known_order_reason_and_aware_deadline(client, auth, session, order, team):
    base = {"order_id": order.id, "amount": 100, "currency": "NOK", "reason": "fraud"}
    answers = [
        client.post("/v1/disputes", json={**base, "order_id": 999_999}, headers=auth(Role.agent)),
        client.post("/v1/disputes", json={**base, "reason": "angry"}, headers=auth(Role.agent)),
        client.post(
            "/v1/disputes", json={**base, "evidence_due_at": "2030-01-10T12:00:00"}, headers=auth(Role.agent)
        ),
        client.post("/v1/disputes", json={**base, "currency": "XXY"}, headers=auth(Role.agent)),
    ]

    assert [(a.status_code, a.json().get("field")) for a in answers] == [
        (404, "order_id"),
        (422, "reason"),
        (422, "evidence_due_at"),
        (422, "currency"),
    ]
    assert session.scalar(select(func.count()).select_from(Dispute)) == 0
