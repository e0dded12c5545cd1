"""Mail from cases reaches a real SMTP server (aiosmtpd): the conduct warning and replies, threaded."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.cases.actions import receive_email, reply_to_case
from storeguard.cases.inbound import parse_mail
from storeguard.core.actor import Actor
from storeguard.core.config import Settings
from storeguard.core.enums import OutboxStatus, Role
from storeguard.core.errors import Conflict
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import deliver_due
from storeguard.integrations.platforms.mail import smtp
from tests.cases.mails import raw_mail
from tests.refusals import row_counts

RELAY = Actor("webhook", "mail-relay")
AGENT = Actor("api_key", "agent-key", Role.agent)


class Mailbox:
    def __init__(self) -> None:
        self.received: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.received.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, Settings]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield (
        box,
        Settings(
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            mail_from="Nordlys Sko <kundeservice@nordlys.example>",
        ),
    )
    controller.stop()


def _send(session: Session, settings: Settings, after: int) -> int:
    # Only this test's mail: other tests may have left pending mail in the shared database.
    due = [m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id > after))]
    assert all(m.kind == "email" for m in due)
    return deliver_due(session, smtp.senders(settings), kinds=["email"])


def test_the_conduct_warning_arrives_by_smtp_in_norwegian_as_an_answer_to_the_customers_mail(
    session: Session, shop, mailbox
) -> None:
    box, settings = mailbox
    after = session.scalar(select(func.max(OutboxMessage.id))) or 0
    receive_email(
        session,
        shop_id=shop.id,
        mail=parse_mail(raw_mail("Faen ta dere, jævla idioter!", message_id="<kari-1@example.no>")),
        actor=RELAY,
    )

    _send(session, settings, after)

    [received] = [m for m in box.received if m["To"] == "kari@example.no"]
    assert received["Subject"] == "Et ord om hvordan vi snakker sammen hos Nordlys Sko"
    assert (received["In-Reply-To"], received["References"], received["Content-Language"]) == (
        "<kari-1@example.no>",
        "<kari-1@example.no>",
        "nb",
    )
    assert (
        "Men dette godtar vi ikke i meldinger til teamet vårt" in received.get_body(("plain",)).get_content()
    )


def test_a_reply_from_the_case_arrives_threaded_after_the_whole_conversation(
    session: Session, shop, mailbox
) -> None:
    box, settings = mailbox
    after = session.scalar(select(func.max(OutboxMessage.id))) or 0
    case, _ = receive_email(
        session,
        shop_id=shop.id,
        mail=parse_mail(raw_mail("Hvor er pakken?", message_id="<q1@example.no>")),
        actor=RELAY,
    )
    first = reply_to_case(session, case_id=case.id, actor=AGENT, body="Den er på vei.")
    receive_email(
        session,
        shop_id=shop.id,
        mail=parse_mail(
            raw_mail(
                "Takk, når kommer den?",
                message_id="<q2@example.no>",
                in_reply_to=first.message_id,
                references=f"<q1@example.no> {first.message_id}",
            )
        ),
        actor=RELAY,
    )

    second = reply_to_case(session, case_id=case.id, actor=AGENT, body="I morgen.")
    _send(session, settings, after)

    received = [m for m in box.received if m["To"] == "kari@example.no"]
    assert [m["Message-ID"] for m in received] == [first.message_id, second.message_id]
    assert received[1]["In-Reply-To"] == "<q2@example.no>"
    assert received[1]["References"].split() == ["<q1@example.no>", first.message_id, "<q2@example.no>"]
    assert received[1]["Subject"] == "Re: Bestilling 1001"
    assert session.get(OutboxMessage, second.outbox_message_id).status == OutboxStatus.sent
    assert case.status == "waiting_on_customer"


def test_a_chat_answer_is_refused_once_the_case_is_on_email_only_and_nothing_changes(
    session: Session, shop
) -> None:
    case, _ = receive_email(session, shop_id=shop.id, mail=parse_mail(raw_mail("Hei")), actor=RELAY)
    case.official_channels_only = True
    before = row_counts(session)

    with pytest.raises(Conflict) as refused:
        reply_to_case(session, case_id=case.id, actor=AGENT, body="Hei på chat", channel="chat")

    assert (refused.value.code, refused.value.field) == ("channel_not_allowed", "channel")
    assert row_counts(session) == before
