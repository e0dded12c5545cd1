"""Every notice reaches a real SMTP server (aiosmtpd): cancel, refund, block, appeal; and the customer's log says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.appeals.actions import decide_appeal, submit_appeal
from storeguard.core.actor import Actor
from storeguard.core.config import Settings
from storeguard.core.enums import OutboxStatus, Role
from storeguard.core.models import OutboxMessage
from storeguard.notifications.service import mail_to_customer
from storeguard.orders.actions import cancel_order
from storeguard.orders.enums import CancelReason
from storeguard.orders.payments import refund_order
from tests.appeals.helpers import REVIEWER, blocked_customer
from tests.factories import make_customer, make_product, make_shop, place_order
from tests.integrations.test_mail import Mailbox, _free_port, _send

AGENT = Actor("api_key", "agent-key", Role.agent)


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


@pytest.fixture(autouse=True)
def _first_mail_id(session: Session) -> None:
    session.info["first_mail_id"] = session.scalar(select(func.max(OutboxMessage.id))) or 0


def _parts(message) -> tuple[str, str]:  # noqa: ANN001 - an email.message.EmailMessage
    text, html = [part.get_content() for part in message.iter_parts()]
    return text, html


def test_a_cancellation_with_a_refund_arrives_with_the_arrival_window(session: Session, mailbox) -> None:
    box, settings = mailbox
    shop = make_shop(session, name="Nordlys Sko", currency="NOK")
    kari = make_customer(session, shop, email="kari@example.no", first_name="Kari", locale="nb-NO")
    order = place_order(session, shop, [(make_product(session, shop, price=49_900), 1)], customer=kari)

    cancel_order(
        session,
        order_id=order.id,
        actor=AGENT,
        reason=CancelReason.inventory,
        refund=True,
        restock=True,
        notify_customer=True,
    )
    sent = _send(session, settings)

    [received] = box.received
    text, html = _parts(received)
    assert (sent, received["To"], received["Content-Language"]) == (1, "kari@example.no", "nb")
    assert received["Subject"] == f"Bestillingen din {order.number} hos Nordlys Sko er kansellert"
    assert "Vi refunderer 499.00 NOK." in text and "Vi refunderer 499.00 NOK." in html
    assert '<html lang="nb" dir="ltr">' in html


def test_a_refund_confirmation_arrives_by_mail(session: Session, mailbox) -> None:
    box, settings = mailbox
    shop = make_shop(session, name="Nordlys Sko", currency="NOK")
    order = place_order(
        session, shop, [(make_product(session, shop, price=49_900), 1)], email="ola@example.no"
    )

    refund_order(session, order_id=order.id, actor=AGENT, amount=10_000, notify_customer=True)
    _send(session, settings)

    [received] = box.received
    text, _html = _parts(received)
    assert received["Subject"] == f"Your refund for order {order.number}"
    assert f"We have refunded 100.00 NOK for your order {order.number}." in text


def test_the_appeal_decision_arrives_in_hebrew_right_to_left_and_is_in_the_customers_log(
    session: Session, mailbox
) -> None:
    box, settings = mailbox
    b = blocked_customer(session, locale="he-IL")
    appeal = submit_appeal(session, link=b.link, message="בבקשה")
    decide_appeal(session, appeal_id=appeal.id, actor=REVIEWER, decision="lift", note="תודה על הקבלות")

    sent = _send(session, settings)

    subjects = [m["Subject"] for m in box.received]
    assert sent == 3
    assert subjects == [
        "בנוגע לחשבון שלך ב-Nordlys Sko",
        "קיבלנו את הבקשה שלך ב-Nordlys Sko",
        "התשובה לבקשה שלך ב-Nordlys Sko",
    ]
    text, html = _parts(box.received[2])
    assert "החסימה הוסרה: אפשר להזמין אצלנו שוב." in text and "תודה על הקבלות" in text
    assert (
        '<html lang="he" dir="rtl">' in html
        and f'href="http://127.0.0.1:8000/appeal/{b.link}" dir="ltr"' in html
    )
    log = mail_to_customer(session, b.customer.id)
    assert [(m.kind, m.status, m.attempts) for m in log] == [
        ("appeal_decided", OutboxStatus.sent, 1),
        ("appeal_received", OutboxStatus.sent, 1),
        ("block_notice", OutboxStatus.sent, 1),
    ]


def test_a_server_refusing_for_now_leaves_the_mail_waiting_in_the_log(session: Session, mailbox) -> None:
    box, settings = mailbox
    box.refuse = "451 4.3.0 try again later"
    b = blocked_customer(session)

    _send(session, settings)

    [entry] = mail_to_customer(session, b.customer.id)
    assert (entry.status, entry.attempts, box.received) == (OutboxStatus.pending, 1, [])
    assert "451" in entry.last_error
