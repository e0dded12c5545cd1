"""Builders shared by the appeal tests: a blocked customer and the link their notice carried."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.models import Customer
from storeguard.lists.blocking import appeal_url, block_customer
from storeguard.lists.models import CustomerBlock
from tests.factories import make_customer, make_shop

BLOCKER = Actor("staff", "ola@nordlys.example", Role.agent)
REVIEWER = Actor("staff", "kari@nordlys.example", Role.agent)
OWNER = Actor("staff", "ola@nordlys.example", Role.owner)  # the blocker, as an owner
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@dataclass
class Blocked:
    customer: Customer
    block: CustomerBlock
    link: str  # the token in the notice's appeal link


def blocked_customer(session: Session, *, locale: str = "he-IL", actor: Actor = BLOCKER) -> Blocked:
    """Block a customer (as ``actor``) and return them with their block and appeal link token."""
    shop = make_shop(session, name="Nordlys Sko", country="IL", currency="ILS")
    customer = make_customer(session, shop, email="dana@example.co.il", first_name="Dana", locale=locale)
    block = block_customer(
        session,
        customer_id=customer.id,
        actor=actor,
        reason_code="return_abuse",
        evidence={"notes": ["worn"]},
    )
    return Blocked(customer, block, appeal_url(block).rsplit("/", 1)[1])
