"""What the review queue shows of one held order, decided here so that its templates only draw it.

Labels are English texts marked for the catalogs; a template translates them when it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import link_types
from storeguard.customers.links import cluster_of, link_paths
from storeguard.customers.models import Customer
from storeguard.orders import policy as order_policy
from storeguard.orders.enums import CancelReason
from storeguard.orders.models import Order
from storeguard.orders.pages import CANCEL_REASONS
from storeguard.screening import service
from storeguard.screening.models import ReviewNote
from storeguard.shops.service import get_shop
from storeguard.web.i18n import N_

# The most linked customers one order shows; a larger cluster says how many more there are.
LINKED_SHOWN = 12
# How an identifier two customers share is named on the page.
IDENTIFIER_LABELS = {
    IdentifierType.email: N_("email"),
    IdentifierType.email_domain: N_("email domain"),
    IdentifierType.phone: N_("phone"),
    IdentifierType.shipping_address: N_("shipping address"),
    IdentifierType.billing_address: N_("billing address"),
    IdentifierType.ip: N_("IP address"),
    IdentifierType.device_id: N_("device"),
    IdentifierType.payment_fingerprint: N_("card"),
    IdentifierType.platform_id: N_("platform account"),
    IdentifierType.name_address: N_("name and address"),
    IdentifierType.card_number: N_("card number"),
    IdentifierType.ip_user_agent: N_("IP and browser"),
}
# Cancelling from review is most often for fraud: that reason comes first.
REVIEW_CANCEL_REASONS = [CancelReason.fraud, *(r for r in CancelReason if r != CancelReason.fraud)]


@dataclass(frozen=True)
class Shared:
    """One identifier two customers share: its kind (a label) and how it reads."""

    label: str
    shown: str


@dataclass(frozen=True)
class LinkedCustomer:
    """A customer linked to the order's customer, through whom, by what, and their history."""

    customer: Customer
    via: int | None  # the customer they are linked through, when not directly
    shared: list[Shared]
    history: service.CustomerHistory


@dataclass(frozen=True)
class CancelChoices:
    """What the cancel form offers and ticks before anything is sent (the shop's block policy)."""

    refundable: int
    refund: bool
    restock: bool


@dataclass(frozen=True)
class ReviewView:
    """Everything the review queue shows of one order."""

    order: Order
    spot: service.QueueSpot
    held_since: datetime
    customer: Customer | None
    history: service.CustomerHistory | None
    earlier: list[Order]
    linked: list[LinkedCustomer]
    linked_more: int
    notes: list[ReviewNote]
    cancel: CancelChoices


def review_view(session: Session, order: Order) -> ReviewView:
    """Describe a held order for the queue: why, who, who else, what they did before, and the notes."""
    customer = session.get(Customer, order.customer_id) if order.customer_id is not None else None
    linked, more = _linked(session, customer) if customer is not None else ([], 0)
    histories = service.customer_histories(
        session, [c.customer.id for c in linked] + ([customer.id] if customer else [])
    )
    settings, _ = service.screening_settings(session, order.shop_id)
    return ReviewView(
        order=order,
        spot=service.queue_spot(session, order),
        held_since=service.held_since(order),
        customer=customer,
        history=histories.get(customer.id) if customer is not None else None,
        earlier=service.earlier_orders(session, order),
        linked=[LinkedCustomer(c.customer, c.via, c.shared, histories[c.customer.id]) for c in linked],
        linked_more=more,
        notes=service.notes_of(session, order.id),
        cancel=CancelChoices(
            refundable=order_policy.refundable_amount(order),
            refund=bool(settings["on_block"]["refund"]),
            restock=bool(settings["on_block"]["restock"]),
        ),
    )


def _linked(session: Session, customer: Customer) -> tuple[list[LinkedCustomer], int]:
    """Return the first linked customers with what links them, and how many more there are."""
    others = [c for c in cluster_of(session, customer.id) if c != customer.id]
    shown = others[:LINKED_SHOWN]
    if not shown:
        return [], 0
    types = [t.value for t in link_types(get_shop(session, customer.shop_id))]
    paths = link_paths(
        session,
        shop_id=customer.shop_id,
        types=types,
        start_customer_id=customer.id,
        targets=shown,
        max_hops=len(others),
    )
    found = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(shown)))}
    linked = []
    for cid in shown:
        path = paths.get(cid)
        last = path.hops[-1] if path is not None and path.hops else None
        linked.append(
            LinkedCustomer(
                customer=found[cid],
                via=last.from_customer_id
                if last is not None and last.from_customer_id != customer.id
                else None,
                shared=[
                    Shared(IDENTIFIER_LABELS.get(s.type, s.type), s.display or s.value)  # type: ignore[call-overload]
                    for s in (last.shared if last is not None else ())
                ],
                history=service.CustomerHistory(),  # filled in with everyone's, in one read
            )
        )
    return linked, len(others) - len(shown)


def cancel_reasons() -> list[tuple[str, str]]:
    """Return the cancel reasons the review form offers, as (value, English label)."""
    return [(r.value, CANCEL_REASONS[r]) for r in REVIEW_CANCEL_REASONS]
