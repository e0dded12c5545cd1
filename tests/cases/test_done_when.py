"""Issue 15's "Done when", end to end through the HTTP routes, with mail delivered to a real SMTP
server (aiosmtpd): abuse in Norwegian, a warning, a block with its evidence, an appeal, a lift."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.appeals import public
from storeguard.appeals.models import Appeal
from storeguard.cases.inbound import SIGNATURE_HEADER, sign
from storeguard.cases.models import BlockProposal, Case, CaseEntry, ConductIncident
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import deliver_due
from storeguard.integrations.platforms.mail import smtp
from storeguard.lists.blocking import active_block
from storeguard.notifications.service import mail_to_customer
from tests.cases.conftest import SECRET
from tests.cases.mails import raw_mail
from tests.cases.test_mail_out import mailbox  # noqa: F401 - the in-process SMTP server
from tests.factories import make_customer

FIRST = "Faen ta dere, jævla idioter! Hvor er pakken min?"
SECOND = "Dere er noen jævla idioter, alle sammen."


def _inbound(client, shop, raw: bytes):  # noqa: ANN001, ANN202
    return client.post(
        f"/v1/inbound/email?shop={shop.domain}",
        content=raw,
        headers={SIGNATURE_HEADER: sign(SECRET, raw), "Content-Type": "message/rfc822"},
    )


def _deliver(session: Session, box, settings, after: int) -> list:  # noqa: ANN001
    """Send what is due; return this test's mail as it arrived (other tests may have left some)."""
    deliver_due(session, smtp.senders(settings), kinds=["email"])
    session.expire_all()
    ours = {
        m.payload.get("message_id")
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id > after))
    }
    return [m for m in box.received if m["Message-ID"] in ours]


def _plain(message) -> str:  # noqa: ANN001
    return message.get_body(("plain",)).get_content()


def test_abuse_in_norwegian_warns_then_blocks_and_a_second_person_lifts_the_block_on_appeal(
    client,
    login,
    session: Session,
    shop,
    mailbox,  # noqa: F811
) -> None:
    box, settings = mailbox
    after = session.scalar(select(func.max(OutboxMessage.id))) or 0
    kari = make_customer(session, shop, email="kari@example.no", first_name="Kari", locale="nb-NO")

    # 1. The first abusive mail: a case, an incident naming its words, one warning in Norwegian.
    first = _inbound(client, shop, raw_mail(FIRST, message_id="<kari-1@example.no>"))
    [warning] = _deliver(session, box, settings, after)
    case = session.get(Case, first.json()["case_id"])
    [incident] = session.scalars(select(ConductIncident).where(ConductIncident.case_id == case.id)).all()
    assert first.status_code == 201 and case.customer_id == kari.id
    assert [t["term"] for t in incident.triggers] == ["faen", "jævla*", "idioter"]
    assert (warning["To"], warning["Content-Language"], warning["In-Reply-To"]) == (
        "kari@example.no",
        "nb",
        "<kari-1@example.no>",
    )
    assert warning["Subject"] == "Et ord om hvordan vi snakker sammen hos Nordlys Sko"
    assert f"Saken din: {case.id}" in _plain(warning)
    outbound = session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id, CaseEntry.kind == "outbound")
    ).one()
    assert outbound.message_id == warning["Message-ID"]  # in the case's log, threaded as sent

    # 2. A second abusive mail: no second warning, a block proposed with both incidents.
    second = _inbound(
        client,
        shop,
        raw_mail(SECOND, message_id="<kari-2@example.no>", in_reply_to=warning["Message-ID"]),
    )
    mails = _deliver(session, box, settings, after)
    proposal = session.scalars(select(BlockProposal).where(BlockProposal.customer_id == kari.id)).one()
    assert second.json()["case_id"] == case.id and mails == [warning]
    assert proposal.incident_ids == [incident.id, *second.json()["incidents"]]

    # 3. Staff accept the proposal: the customer is blocked and the notice carries the appeal link.
    blocker = login("agent")
    accepted = client.post(
        f"/cases/{case.id}/proposals/{proposal.id}",
        data={"csrf_token": blocker.csrf, "decision": "block"},
        follow_redirects=False,
    )
    [_, notice] = _deliver(session, box, settings, after)
    block = active_block(session, kari.id)
    link = re.search(r"/appeal/(\S+)", _plain(notice))
    assert accepted.status_code == 303 and block is not None
    assert block.evidence["incident_ids"] == proposal.incident_ids
    assert (notice["To"], notice["Content-Language"]) == ("kari@example.no", "nb")
    assert link is not None

    # 4. The customer appeals on the public page, read in Hebrew, right to left.
    page = client.get(f"/appeal/{link[1]}?lang=he")
    token = client.cookies.get(public.CSRF_COOKIE)
    sent = client.post(
        f"/appeal/{link[1]}",
        data={"csrf_token": token, "message": "Jeg beklager, det kommer ikke igjen."},
        follow_redirects=False,
    )
    _deliver(session, box, settings, after)
    appeal = session.scalars(select(Appeal).where(Appeal.customer_id == kari.id)).one()
    assert page.status_code == 200 and '<html lang="he" dir="rtl"' in page.text
    assert sent.status_code == 303 and appeal.block_id == block.id

    # 5. Someone else than the blocker lifts the block; the customer is told by mail.
    reviewer = login("agent")
    decided = client.post(
        f"/appeals/{appeal.id}/decide",
        data={"csrf_token": reviewer.csrf, "decision": "lift", "note": "Takk."},
        follow_redirects=False,
    )
    told = _deliver(session, box, settings, after)[-1]
    assert decided.status_code == 303 and active_block(session, kari.id) is None
    assert (told["To"], told["Content-Language"]) == ("kari@example.no", "nb")
    assert [m.kind for m in mail_to_customer(session, kari.id)][::-1] == [
        "conduct_warning",
        "block_notice",
        "appeal_received",
        "appeal_decided",
    ]
    assert all(m.status == "sent" for m in mail_to_customer(session, kari.id))
