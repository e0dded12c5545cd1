"""Mail from the outbox reaches a real SMTP server (aiosmtpd): notices, replies, refusals, outages."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.config import Settings
from storeguard.core.enums import OutboxStatus, Role
from storeguard.core.models import OutboxMessage
from storeguard.core.outbox import deliver_due, enqueue
from storeguard.integrations.platforms.mail import smtp as mail
from storeguard.lists.blocking import block_customer
from tests.factories import make_customer, make_shop

AGENT = Actor("api_key", "agent-key", Role.agent)


class Mailbox:
    """An SMTP handler that keeps what it is given, or answers with ``refuse`` when set."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's hook
        if self.refuse:
            return self.refuse
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
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
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_security="none",
        mail_from="Nordlys Sko <kundeservice@nordlys.example>",
    )
    yield box, settings
    controller.stop()


def _send(session: Session, settings: Settings) -> int:
    # Only this test's mail: other tests may have left pending mail in the shared database.
    mine = session.info.setdefault("mail_ids", set())
    mine.update(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == mail.KIND, OutboxMessage.id > session.info["first_mail_id"]
            )
        )
    )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == mail.KIND,
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.id.not_in(mine or {0}),
        )
        .values(next_attempt_at=datetime(2999, 1, 1, tzinfo=UTC))
    )
    return deliver_due(session, mail.senders(settings), kinds=[mail.KIND])


@pytest.fixture(autouse=True)
def _first_mail_id(session: Session) -> None:
    session.info["first_mail_id"] = session.scalar(select(func.max(OutboxMessage.id))) or 0


def test_a_block_notice_arrives_in_the_customers_language_as_text_and_html(session: Session, mailbox) -> None:
    box, settings = mailbox
    shop = make_shop(session, name="Nordlys Sko", country="IL", currency="ILS")
    dana = make_customer(session, shop, email="dana@example.co.il", first_name="Dana", locale="he-IL")
    block = block_customer(
        session, customer_id=dana.id, actor=AGENT, reason_code="return_abuse", evidence={"notes": ["worn"]}
    )

    sent = _send(session, settings)

    message = session.get(OutboxMessage, block.notice_message_id)
    assert (sent, message.status, message.attempts) == (1, OutboxStatus.sent, 1)
    [received] = box.received
    assert box.envelopes == [("kundeservice@nordlys.example", ["dana@example.co.il"])]
    assert (received["To"], received["From"]) == (
        "dana@example.co.il",
        "Nordlys Sko <kundeservice@nordlys.example>",
    )
    assert received["Subject"] == message.payload["subject"]
    assert received["Content-Language"] == "he"
    assert received["Message-ID"] == message.payload["message_id"]
    text, html = [part.get_content() for part in received.iter_parts()]
    assert f"/appeal/{block.appeal_token}" in text
    assert 'dir="rtl"' in html and 'lang="he"' in html


def test_a_reply_is_threaded_to_the_message_it_answers(session: Session, mailbox) -> None:
    box, settings = mailbox
    queued = enqueue(
        session,
        mail.KIND,
        {
            "to": "kari@example.no",
            "subject": "Re: Order #1042",
            "text": "The parcel left our warehouse today.",
            "in_reply_to": "<abc@kari.example>",
            "references": ["<first@kari.example>", "<abc@kari.example>"],
        },
    )

    _send(session, settings)

    [received] = box.received
    assert (received["In-Reply-To"], received["References"]) == (
        "<abc@kari.example>",
        "<first@kari.example> <abc@kari.example>",
    )
    assert received.get_content_type() == "text/plain"
    assert queued.status == OutboxStatus.sent


def test_a_permanent_refusal_kills_the_message_with_the_servers_words(session: Session, mailbox) -> None:
    box, settings = mailbox
    box.refuse = "550 5.1.1 No such mailbox"
    queued = enqueue(session, mail.KIND, {"to": "gone@example.no", "subject": "Hi", "text": "x"})

    _send(session, settings)

    assert (queued.status, queued.attempts) == (OutboxStatus.dead, 1)
    assert queued.last_error == "the mail server refused the message: 550 5.1.1 No such mailbox"
    assert "message_id" not in queued.payload


def test_a_temporary_refusal_is_tried_again_later(session: Session, mailbox) -> None:
    box, settings = mailbox
    box.refuse = "451 4.3.0 Try again later"
    queued = enqueue(session, mail.KIND, {"to": "busy@example.no", "subject": "Hi", "text": "x"})

    _send(session, settings)

    assert (queued.status, queued.attempts) == (OutboxStatus.pending, 1)
    assert queued.last_error == "the mail server deferred the message: 451 4.3.0 Try again later"
    assert queued.next_attempt_at > queued.created_at


def test_a_server_that_is_down_leaves_the_mail_queued(session: Session) -> None:
    settings = Settings(
        smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_security="none", smtp_timeout_seconds=2
    )
    queued = enqueue(session, mail.KIND, {"to": "kari@example.no", "subject": "Hi", "text": "x"})

    _send(session, settings)

    assert (queued.status, queued.attempts) == (OutboxStatus.pending, 1)
    assert queued.last_error.startswith("the mail server could not be reached: ")


def test_without_a_mail_server_mail_waits_untouched(session: Session) -> None:
    queued = enqueue(session, mail.KIND, {"to": "kari@example.no", "subject": "Hi", "text": "x"})

    sent = _send(session, Settings(smtp_host=None))

    assert (sent, queued.status, queued.attempts, queued.last_error) == (0, OutboxStatus.pending, 0, None)


@pytest.mark.parametrize("to", ["", "not an address", "kari@example.no\r\nBcc: everyone@example.no"])
def test_a_mail_without_a_usable_recipient_is_dead_and_nothing_is_sent(session: Session, mailbox, to) -> None:
    box, settings = mailbox
    queued = enqueue(session, mail.KIND, {"to": to, "subject": "Hi", "text": "x"})

    _send(session, settings)

    assert (queued.status, box.received) == (OutboxStatus.dead, [])
    assert queued.last_error == f"no usable recipient address: {to!r}"


def test_mail_is_sent_from_a_thread_that_already_runs_an_event_loop(session: Session, mailbox) -> None:
    box, settings = mailbox
    queued = enqueue(session, mail.KIND, {"to": "kari@example.no", "subject": "Hi", "text": "x"})

    async def inside_a_loop() -> int:
        return _send(session, settings)

    # A thread of its own: the test's own thread may run another loop already (Playwright's, when
    # a browser test ran earlier in this worker), where asyncio.run itself would refuse.
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(asyncio.run, inside_a_loop()).result()

    assert (sent, queued.status, len(box.received)) == (1, OutboxStatus.sent, 1)
