"""The case pages: the inbox by time left, a case's thread, answering, notes, reviews, the legal queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.actions import receive_email
from storeguard.cases.inbound import parse_mail
from storeguard.cases.models import CaseEntry, ConductIncident
from storeguard.core.actor import Actor
from storeguard.core.models import OutboxMessage
from tests.cases.mails import raw_mail

RELAY = Actor("webhook", "mail-relay")


def _case(session: Session, shop, body: str = "Faen ta dere, jævla idioter!", **kw):  # noqa: ANN001, ANN202
    return receive_email(session, shop_id=shop.id, mail=parse_mail(raw_mail(body, **kw)), actor=RELAY)[0]


def test_the_inbox_lists_open_cases_with_the_time_left(client, login, session: Session, shop) -> None:
    case = _case(session, shop, "Hvor er pakken min?")
    login("viewer")

    page = client.get("/cases")

    assert page.status_code == 200
    assert f'href="/cases/{case.id}"' in page.text
    assert "left" in page.text


def test_the_case_page_shows_the_thread_and_the_words_that_triggered_the_incident(
    client, login, session: Session, shop
) -> None:
    case = _case(session, shop)
    login("viewer")

    page = client.get(f"/cases/{case.id}")

    assert page.status_code == 200
    assert "Faen ta dere, jævla idioter!" in page.text
    assert '<mark dir="auto">jævla*</mark>' in page.text
    assert "Et ord om hvordan vi snakker sammen hos Nordlys Sko" in page.text  # the warning, as sent


def test_an_agent_answers_from_the_case_page_and_the_mail_is_queued(
    client, login, session: Session, shop
) -> None:
    case = _case(session, shop, "Hvor er pakken min?")
    me = login("agent")

    answer = client.post(
        f"/cases/{case.id}/reply",
        data={"csrf_token": me.csrf, "body": "Den er på vei.", "channel": "email"},
        follow_redirects=False,
    )

    assert (answer.status_code, answer.headers["location"]) == (303, f"/cases/{case.id}")
    entry = session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id, CaseEntry.kind == "outbound")
    ).one()
    assert session.get(OutboxMessage, entry.outbox_message_id).payload["text"] == "Den er på vei."


def test_an_empty_answer_shows_the_form_again_and_sends_nothing(
    client, login, session: Session, shop
) -> None:
    case = _case(session, shop, "Hvor er pakken min?")
    me = login("agent")

    answer = client.post(
        f"/cases/{case.id}/reply", data={"csrf_token": me.csrf, "body": " ", "channel": "email"}
    )

    assert answer.status_code == 422
    assert "Write the message first." in answer.text
    assert session.scalars(select(CaseEntry).where(CaseEntry.kind == "outbound")).all() == []


def test_an_internal_note_is_kept_apart_from_messages(client, login, session: Session, shop) -> None:
    case = _case(session, shop, "Hvor er pakken min?")
    me = login("agent")

    client.post(f"/cases/{case.id}/notes", data={"csrf_token": me.csrf, "note": "Ringte posten."})

    note = session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id, CaseEntry.kind == "note")
    ).one()
    assert (note.body, note.outbox_message_id) == ("Ringte posten.", None)


def test_a_detection_dismissed_on_the_page_counts_in_the_precision(
    client, login, session: Session, shop
) -> None:
    case = _case(session, shop)
    incident = session.scalars(select(ConductIncident).where(ConductIncident.case_id == case.id)).one()
    me = login("agent")

    client.post(
        f"/cases/{case.id}/incidents/{incident.id}/review", data={"csrf_token": me.csrf, "verdict": "dismiss"}
    )
    page = client.get("/cases/incidents")

    assert incident.status == "dismissed"
    assert '<p class="figure">0 %</p>' in page.text


def test_the_legal_queue_shows_the_escalated_case(client, login, session: Session, shop) -> None:
    case = _case(session, shop, "Jeg kommer til å saksøke dere.")
    login("viewer")

    page = client.get("/cases/legal")

    assert f'href="/cases/{case.id}"' in page.text
    assert "Records on legal hold" in page.text


def test_the_customer_page_shows_their_cases(client, login, session: Session, shop) -> None:
    case = _case(session, shop, "Hvor er pakken min?")
    login("viewer")

    page = client.get(f"/customers/{case.customer_id}")

    assert f'href="/cases/{case.id}"' in page.text
