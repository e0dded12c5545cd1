"""POST /v1/inbound/email: signed raw mail from a relay, threaded into cases; bad mail refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.inbound import SIGNATURE_HEADER, sign
from storeguard.cases.models import Case, CaseEntry
from storeguard.customers.models import Customer
from tests.cases.conftest import SECRET
from tests.cases.mails import raw_mail
from tests.factories import make_customer
from tests.refusals import refusal, row_counts


def _post(client, shop, raw: bytes, secret: str = SECRET):  # noqa: ANN001, ANN202
    return client.post(
        f"/v1/inbound/email?shop={shop.domain}",
        content=raw,
        headers={SIGNATURE_HEADER: sign(secret, raw), "Content-Type": "message/rfc822"},
    )


def test_a_signed_mail_from_a_known_customer_opens_a_case_for_them(client, session: Session, shop) -> None:
    kari = make_customer(session, shop, email="kari@example.no", first_name="Kari")

    answer = _post(client, shop, raw_mail("Hvor er pakken min?"))

    case = session.get(Case, answer.json()["case_id"])
    assert answer.status_code == 201
    assert (case.customer_id, case.channel, case.status, case.subject) == (
        kari.id,
        "email",
        "new",
        "Bestilling 1001",
    )
    [entry] = case.entries
    assert (entry.kind, entry.author, entry.body, entry.message_id) == (
        "inbound",
        "kari@example.no",
        "Hvor er pakken min?",
        "<m1@example.no>",
    )


def test_a_mail_from_a_newcomer_makes_them_a_customer(client, session: Session, shop) -> None:
    answer = _post(client, shop, raw_mail("Hei", sender="Ola Nordmann <ola@example.no>"))

    case = session.get(Case, answer.json()["case_id"])
    customer = session.get(Customer, case.customer_id)
    assert (customer.email, customer.first_name, customer.last_name) == ("ola@example.no", "Ola", "Nordmann")


def test_a_reply_is_threaded_to_its_case_by_in_reply_to_and_references(
    client, session: Session, shop
) -> None:
    first = _post(client, shop, raw_mail("Hei", message_id="<a@example.no>")).json()

    by_reply = _post(
        client, shop, raw_mail("Svar", message_id="<b@example.no>", in_reply_to="<a@example.no>")
    ).json()
    by_refs = _post(
        client,
        shop,
        raw_mail("Igjen", message_id="<c@example.no>", references="<x@elsewhere> <b@example.no>"),
    ).json()

    assert by_reply["case_id"] == by_refs["case_id"] == first["case_id"]
    assert len(session.get(Case, first["case_id"]).entries) == 3


def test_the_same_mail_posted_twice_is_taken_once(client, session: Session, shop) -> None:
    raw = raw_mail("Hei")
    first = _post(client, shop, raw).json()

    again = _post(client, shop, raw)

    assert (again.status_code, again.json()["entry_id"]) == (201, first["entry_id"])
    assert (
        session.scalar(select(CaseEntry.id).where(CaseEntry.message_id == "<m1@example.no>"))
        == first["entry_id"]
    )


def test_an_html_only_mail_is_kept_as_readable_text(client, session: Session, shop) -> None:
    raw = raw_mail("", html="<p>Hei <b>dere</b></p><script>alert(1)</script><p>Pakken?</p>")

    entry = session.get(CaseEntry, _post(client, shop, raw).json()["entry_id"])

    assert entry.body == "Hei dere\nPakken?"


def test_an_attachment_is_kept_by_its_hash(client, session: Session, shop, tmp_path: Path) -> None:
    raw = raw_mail("Bilde vedlagt", attachments=[("skade.png", "image/png", b"\x89PNG fake")])

    entry = session.get(CaseEntry, _post(client, shop, raw).json()["entry_id"])

    [kept] = entry.attachments
    assert (kept["filename"], kept["content_type"], kept["size"]) == ("skade.png", "image/png", 9)
    assert (tmp_path / "case-attachments" / kept["sha256"]).read_bytes() == b"\x89PNG fake"


def test_an_unsigned_mail_is_refused_and_nothing_changes(client, session: Session, shop) -> None:
    before = row_counts(session)

    answer = _post(client, shop, raw_mail("Hei"), secret="wrong")

    assert refusal(answer) == (403, "email_unsigned", None)
    assert row_counts(session) == before


def test_a_mail_without_a_sender_is_refused_and_nothing_changes(client, session: Session, shop) -> None:
    before = row_counts(session)

    answer = _post(client, shop, b"Subject: hei\r\n\r\nno sender here\r\n")

    assert refusal(answer) == (422, "email_malformed", "From")
    assert row_counts(session) == before


def test_an_attachment_of_a_refused_type_is_refused_and_nothing_changes(
    client, session: Session, shop
) -> None:
    before = row_counts(session)
    raw = raw_mail("Se vedlegg", attachments=[("virus.exe", "application/x-msdownload", b"MZ")])

    answer = _post(client, shop, raw)

    assert refusal(answer) == (422, "attachment_type_refused", "attachments")
    assert row_counts(session) == before


def test_an_attachment_over_the_limit_is_refused_and_nothing_changes(client, session: Session, shop) -> None:
    before = row_counts(session)
    raw = raw_mail("Stor fil", attachments=[("stor.pdf", "application/pdf", b"x" * ((1 << 20) + 1))])

    answer = _post(client, shop, raw)

    assert refusal(answer) == (422, "attachment_too_large", "attachments")
    assert row_counts(session) == before


def test_the_conduct_check_answers_categories_language_and_words_and_stores_nothing(
    client, session: Session, owner_headers
) -> None:
    before = row_counts(session)

    answer = client.post("/v1/conduct/check", json={"text": "Faen ta dere"}, headers=owner_headers)

    assert answer.status_code == 200
    assert answer.json() == {
        "language": "nb",
        "categories": ["abuse"],
        "triggers": [{"category": "abuse", "term": "faen", "language": "nb", "matched": "faen"}],
    }
    assert row_counts(session) == before


def test_the_conduct_check_refuses_an_empty_text(client, owner_headers) -> None:
    answer = client.post("/v1/conduct/check", json={"text": "  "}, headers=owner_headers)

    assert refusal(answer) == (422, "text_required", "text")
