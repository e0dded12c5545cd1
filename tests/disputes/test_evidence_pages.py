"""The evidence pack on the dispute page: preview with CE3.0, edit, add a file, download, send."""

from __future__ import annotations

from storeguard.disputes.models import Dispute
from tests.disputes.evidence_story import fraud_story


def test_the_dispute_page_proposes_the_ce3_orders_and_shows_the_letter(client, login, session, team):
    dispute = fraud_story(session, locale="nb")
    login("viewer")

    page = client.get(f"/disputes/{dispute.id}").text

    assert "Compelling Evidence 3.0 found" in page
    assert page.index("#P150") < page.index("#P200")
    assert "Kjøpet ble gjort fra IP-adressen 84.210.1.1." in page


def test_an_agent_edits_the_letter_on_the_page(client, login, session, team):
    dispute = fraud_story(session)
    me = login("agent")

    saved = client.post(
        f"/disputes/{dispute.id}/evidence",
        data={
            "csrf_token": me.csrf,
            "letter": "Varene ble levert.",
            "language": "nb",
            "shown_communication": "1",
        },
        follow_redirects=False,
    )

    session.expire_all()
    assert saved.status_code == 303
    assert session.get(Dispute, dispute.id).evidence == {
        "letter": "Varene ble levert.",
        "language": "nb",
        "excluded": ["communication"],
    }


def test_a_file_that_is_not_a_pdf_is_refused_on_the_page(client, login, session, team):
    dispute = fraud_story(session)
    me = login("agent")

    answer = client.post(
        f"/disputes/{dispute.id}/files",
        data={"csrf_token": me.csrf},
        files={"file": ("notes.pdf", b"plain words", "application/pdf")},
    )

    assert answer.status_code == 422
    assert "Only a PDF, PNG or JPEG file can be evidence." in answer.text


def test_the_pdf_downloads_from_the_page(client, login, session, team):
    dispute = fraud_story(session)
    login("viewer")

    answer = client.get(f"/disputes/{dispute.id}/evidence-pack.pdf")

    assert (answer.status_code, answer.content[:5]) == (200, b"%PDF-")


def test_an_agent_sends_the_evidence_from_the_page(client, login, session, team):
    dispute = fraud_story(session)
    me = login("agent")

    sent = client.post(f"/disputes/{dispute.id}/submit", data={"csrf_token": me.csrf}, follow_redirects=False)
    page = client.get(f"/disputes/{dispute.id}").text

    session.expire_all()
    assert sent.status_code == 303
    assert session.get(Dispute, dispute.id).evidence_submitted_at is not None
    assert "Sent to the gateway" in page and "Send evidence to" not in page


def test_the_win_rate_by_evidence_counts_what_won_disputes_sent(client, login, session, team):
    from storeguard.core.actor import Actor
    from storeguard.disputes.actions import record_dispute_outcome, submit_evidence
    from storeguard.disputes.service import win_rates_by_evidence

    dispute = fraud_story(session)
    submit_evidence(session, dispute_id=dispute.id, actor=Actor("staff", "agent"))
    record_dispute_outcome(session, dispute_id=dispute.id, actor=Actor("webhook", "stripe"), outcome="won")
    login("viewer")

    rates = {r.key: (r.won, r.lost) for r in win_rates_by_evidence(session)}
    page = client.get("/disputes").text

    assert rates["compelling_evidence_3"] == (1, 0)
    assert "Win rate by evidence used" in page and "Visa Compelling Evidence 3.0" in page


def test_the_sent_note_names_the_person_not_the_actor_code(client, login, session, team):
    dispute = fraud_story(session)
    me = login("agent")

    client.post(f"/disputes/{dispute.id}/submit", data={"csrf_token": me.csrf}, follow_redirects=False)
    page = client.get(f"/disputes/{dispute.id}").text

    note = page[page.index("Sent to the gateway") :].split("</p>")[0]
    assert "staff:" not in note and me.user.email in note
