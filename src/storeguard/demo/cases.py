"""The demo's support conversations, taken in as mail through the same path as the relay's.

A Norwegian customer swears at the team twice (a warning went out after the first mail, a block
is proposed after the second, with both incidents as evidence); an American asks where an order
is and has been answered; an Israeli customer threatens to sue (the legal queue, records held);
a Chinese customer asks about sizes.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.cases.actions import link_case, receive_email, reply_to_case
from storeguard.cases.inbound import parse_mail
from storeguard.cases.models import CaseEntry
from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.models import Customer
from storeguard.orders.models import Order
from storeguard.shops.models import Shop

RELAY = Actor("webhook", "mail-relay")
TEAM = Actor("staff", "ops@nordlys.example", Role.admin)


def _mail(
    customer: Customer, body: str, subject: str, message_id: str, in_reply_to: str | None = None
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{customer.first_name} {customer.last_name} <{customer.email}>"
    message["To"] = "kundeservice@nordlys.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return bytes(message)


def _customer(
    session: Session, shop: Shop, locale: str, skip: set[int]
) -> tuple[Customer, Order | None] | None:
    row = session.execute(
        select(Customer, Order)
        .join(Order, Order.customer_id == Customer.id)
        .where(
            Customer.shop_id == shop.id,
            Customer.locale == locale,
            Customer.email.is_not(None),
            Customer.id.not_in(skip or {0}),
        )
        .order_by(Order.created_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def open_cases(session: Session, shop: Shop) -> int:
    """Take in the demo's conversations; return how many cases they opened."""
    used: set[int] = set()
    opened = 0
    found = _customer(session, shop, "nb-NO", used)
    if found:
        kari, order = found
        used.add(kari.id)
        case, _ = receive_email(
            session,
            shop_id=shop.id,
            mail=parse_mail(
                _mail(
                    kari,
                    "Hvor faen er pakken min? Dere er noen jævla idioter som ikke klarer å sende en genser.",
                    f"Bestilling {order.number if order else ''}".strip(),
                    "<demo-nb-1@example.no>",
                )
            ),
            actor=RELAY,
        )
        if order is not None:
            link_case(session, case=case, kind="order", ref_id=order.id, actor=TEAM)
        warning = session.scalar(
            select(CaseEntry.message_id).where(CaseEntry.case_id == case.id, CaseEntry.kind == "outbound")
        )
        receive_email(
            session,
            shop_id=shop.id,
            mail=parse_mail(
                _mail(
                    kari,
                    "Advarsel? Dra til helvete, din drittsekk. Send pengene mine NÅ.",
                    f"Re: Bestilling {order.number if order else ''}".strip(),
                    "<demo-nb-2@example.no>",
                    in_reply_to=warning,
                )
            ),
            actor=RELAY,
        )
        opened += 1
    found = _customer(session, shop, "en-US", used)
    if found:
        john, order = found
        used.add(john.id)
        case, _ = receive_email(
            session,
            shop_id=shop.id,
            mail=parse_mail(
                _mail(
                    john,
                    "Hi, my order still says shipped but nothing has arrived after ten days. "
                    "This is ridiculous, can you check with the carrier?",
                    f"Where is order {order.number if order else ''}?",
                    "<demo-en-1@example.com>",
                )
            ),
            actor=RELAY,
        )
        if order is not None:
            link_case(session, case=case, kind="order", ref_id=order.id, actor=TEAM)
        reply_to_case(
            session,
            case_id=case.id,
            actor=TEAM,
            body="Sorry for the wait. We have asked the carrier to trace the parcel and will write again tomorrow.",
        )
        opened += 1
    found = _customer(session, shop, "he-IL", used)
    if found:
        dana, _order = found
        used.add(dana.id)
        receive_email(
            session,
            shop_id=shop.id,
            mail=parse_mail(
                _mail(
                    dana,
                    "ההחזר עדיין לא הגיע. אם הכסף לא יחזור עד יום ראשון אני אתבע אתכם בתביעות קטנות.",
                    "החזר כספי",
                    "<demo-he-1@example.co.il>",
                )
            ),
            actor=RELAY,
        )
        opened += 1
    found = _customer(session, shop, "zh-CN", used)
    if found:
        li, _order = found
        receive_email(
            session,
            shop_id=shop.id,
            mail=parse_mail(
                _mail(li, "你好，请问这件外套的M码适合身高170的人吗？", "尺码问题", "<demo-zh-1@example.cn>")
            ),
            actor=RELAY,
        )
        opened += 1
    return opened
