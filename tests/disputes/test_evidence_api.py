"""The evidence routes: the pack, edits, files, the PDF, submission, costs and letter templates."""

from __future__ import annotations

from datetime import timedelta

import pypdfium2
from sqlalchemy import func, select

from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.core.models import OutboxMessage
from storeguard.disputes.models import DisputeFile
from tests.disputes.conftest import NOW
from tests.disputes.evidence_story import fraud_story


def _pdf_text(body: bytes) -> str:
    document = pypdfium2.PdfDocument(body)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def _font_names(body: bytes) -> str:
    # Embedded fonts are named in the PDF's objects: /BaseFont /ABCDEF+NotoSansHebrew-Regular.
    return body.decode("latin-1")


def test_the_pack_shows_the_ce3_orders_and_stripe_fields(client, auth, session):
    dispute = fraud_story(session)

    pack = client.get(f"/v1/disputes/{dispute.id}/evidence", headers=auth(Role.viewer)).json()

    assert [p["number"] for p in pack["compelling_evidence_3"]] == ["#P150", "#P200"]
    assert pack["gateway_fields"]["customer_purchase_ip"] == "84.210.1.1"
    assert pack["over_limits"] == []


def test_the_pdf_reads_in_norwegian_with_the_index_and_documents(client, auth, session):
    dispute = fraud_story(session, locale="nb")

    answer = client.get(f"/v1/disputes/{dispute.id}/evidence-pack.pdf", headers=auth(Role.viewer))
    text = _pdf_text(answer.content)

    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/pdf")
    assert "Kjøpet ble gjort fra IP-adressen 84.210.1.1." in text
    assert "70712345678" in text and "14 dagers angrerett." in text


def test_the_pdf_in_hebrew_embeds_a_hebrew_font_and_keeps_the_words(client, auth, session):
    dispute = fraud_story(session, locale="he")

    body = client.get(f"/v1/disputes/{dispute.id}/evidence-pack.pdf", headers=auth(Role.viewer)).content

    assert "+NotoSansHebrew" in _font_names(body)
    assert "מערערת על מחלוקת זו" in _pdf_text(body)


def test_the_pdf_in_chinese_embeds_the_cjk_font(client, auth, session):
    dispute = fraud_story(session, locale="zh")

    body = client.get(f"/v1/disputes/{dispute.id}/evidence-pack.pdf", headers=auth(Role.viewer)).content

    assert "+NotoSansCJK" in _font_names(body)
    assert "争议 dp_1 – 订单 #2001（2026-12-03），1299.00 NOK。" in _pdf_text(body)


def test_an_agent_edits_the_letter_and_the_pack_shows_it(client, auth, session):
    dispute = fraud_story(session)

    with frozen(NOW):
        pack = client.post(
            f"/v1/disputes/{dispute.id}/evidence",
            json={"letter": "Kari bestilte selv.", "excluded": ["prior_orders"]},
            headers=auth(Role.agent),
        ).json()

    assert (pack["letter"], pack["letter_edited"]) == ("Kari bestilte selv.", True)
    assert "prior_orders" not in pack["items"]


def test_a_text_file_is_refused_as_evidence_and_nothing_is_kept(client, auth, session):
    dispute = fraud_story(session)

    with frozen(NOW):
        answer = client.post(
            f"/v1/disputes/{dispute.id}/files",
            files={"file": ("proof.pdf", b"just words", "application/pdf")},
            headers=auth(Role.agent),
        )

    assert (answer.status_code, answer.json()["code"]) == (422, "file_not_pdf_or_image")
    assert session.scalar(select(func.count()).select_from(DisputeFile)) == 0


def test_a_pdf_file_is_added_and_counted_in_the_pack(client, auth, session):
    dispute = fraud_story(session)

    with frozen(NOW):
        added = client.post(
            f"/v1/disputes/{dispute.id}/files",
            files={"file": ("receipt.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
            headers=auth(Role.agent),
        )
    pack = client.get(f"/v1/disputes/{dispute.id}/evidence", headers=auth(Role.viewer)).json()

    assert (added.status_code, added.json()["content_type"]) == (201, "application/pdf")
    assert [f["filename"] for f in pack["files"]] == ["receipt.pdf"]


def test_submit_sends_once_and_refuses_the_second_time(client, auth, session):
    dispute = fraud_story(session)

    with frozen(NOW):
        first = client.post(f"/v1/disputes/{dispute.id}/submit", headers=auth(Role.agent))
        events = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "event")
        )
        second = client.post(f"/v1/disputes/{dispute.id}/submit", headers=auth(Role.agent))

    assert (first.status_code, first.json()["response"]) == (200, "contested")
    assert (second.status_code, second.json()["code"]) == (409, "evidence_already_submitted")
    assert (
        session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "event"))
        == events
    )


def test_submit_after_the_deadline_is_refused(client, auth, session):
    dispute = fraud_story(session)

    with frozen(dispute.evidence_due_at + timedelta(hours=1)):
        answer = client.post(f"/v1/disputes/{dispute.id}/submit", headers=auth(Role.agent))

    assert (answer.status_code, answer.json()["code"]) == (409, "past_due")


def test_fee_and_amount_lost_are_kept_on_the_dispute(client, auth, session):
    dispute = fraud_story(session)

    answer = client.patch(
        f"/v1/disputes/{dispute.id}", json={"fee": 15_000, "amount_lost": 129_900}, headers=auth(Role.agent)
    )

    assert (answer.json()["fee"], answer.json()["amount_lost"]) == (15_000, 129_900)


def test_the_merchants_letter_template_is_used_for_the_next_pack(client, auth, session):
    dispute = fraud_story(session, locale="nb")

    saved = client.put(
        "/v1/dispute-letters/fraud/nb",
        json={"body": "Ordre {order_number} fra {merchant}."},
        headers=auth(Role.admin),
    )
    pack = client.get(f"/v1/disputes/{dispute.id}/evidence", headers=auth(Role.viewer)).json()

    assert saved.status_code == 200
    assert pack["letter"] == "Ordre #2001 fra Fjellsport."


def test_a_letter_template_in_an_unknown_language_is_refused(client, auth, session):
    answer = client.put("/v1/dispute-letters/fraud/fr", json={"body": "Bonjour"}, headers=auth(Role.admin))

    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_language")
