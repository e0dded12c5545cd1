"""The export parts of the domains that came before privacy: what each holds about a customer.

Each part reads only its own tables. Linked customers are named by id alone: another person's data
is not this person's to receive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.core.privacy import add_export_part, row_data
from storeguard.customers.models import Customer, Identifier
from storeguard.disputes.models import Dispute
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.orders.models import CancellationRequest, Order
from storeguard.returns.models import Return
from storeguard.risk.models import CustomerRisk
from storeguard.screening.models import Decision, ReviewNote


def _rows(session: Session, stmt: Any) -> list[dict[str, Any]]:
    return [row_data(r) for r in session.scalars(stmt)]


def _order_ids(session: Session, customer: Customer) -> list[int]:
    return list(session.scalars(select(Order.id).where(Order.customer_id == customer.id).order_by(Order.id)))


def customer_part(session: Session, customer: Customer) -> dict[str, Any]:
    return row_data(customer)


def identifiers_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    return _rows(
        session, select(Identifier).where(Identifier.customer_id == customer.id).order_by(Identifier.id)
    )


def links_part(session: Session, customer: Customer) -> list[int]:
    if customer.cluster_id is None:
        return []
    stmt = select(Customer.id).where(Customer.cluster_id == customer.cluster_id, Customer.id != customer.id)
    return list(session.scalars(stmt.order_by(Customer.id)))


def orders_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    out = []
    for order in session.scalars(select(Order).where(Order.customer_id == customer.id).order_by(Order.id)):
        out.append(
            {
                **row_data(order),
                "line_items": [row_data(x) for x in order.line_items],
                "transactions": [row_data(x) for x in order.transactions],
                "fulfillments": [row_data(x) for x in order.fulfillments],
                "refunds": [{**row_data(r), "lines": [row_data(x) for x in r.lines]} for r in order.refunds],
            }
        )
    return out


def cancellation_requests_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    ids = _order_ids(session, customer)
    return _rows(session, select(CancellationRequest).where(CancellationRequest.order_id.in_(ids)))


def blocks_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    return _rows(
        session,
        select(CustomerBlock).where(CustomerBlock.customer_id == customer.id).order_by(CustomerBlock.id),
    )


def list_entries_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    return _rows(
        session, select(ListEntry).where(ListEntry.customer_id == customer.id).order_by(ListEntry.id)
    )


def messages_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """The notices sent to them (a block's notice, with its words)."""
    ids = select(CustomerBlock.notice_message_id).where(CustomerBlock.customer_id == customer.id)
    return _rows(session, select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))


def risk_part(session: Session, customer: Customer) -> dict[str, Any] | None:
    risk = session.get(CustomerRisk, customer.id)
    return row_data(risk) if risk else None


def returns_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    out = []
    for rma in session.scalars(select(Return).where(Return.customer_id == customer.id).order_by(Return.id)):
        out.append(
            {
                **row_data(rma),
                "lines": [row_data(x) for x in rma.lines],
                "photos": [row_data(x) for x in rma.photos],
            }
        )
    return out


def disputes_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    ids = _order_ids(session, customer)
    stmt = (
        select(Dispute)
        .where(or_(Dispute.customer_id == customer.id, Dispute.order_id.in_(ids)))
        .order_by(Dispute.id)
    )
    return [
        {**row_data(d), "events": [row_data(e) for e in d.events], "notes": [row_data(n) for n in d.notes]}
        for d in session.scalars(stmt)
    ]


def screening_part(session: Session, customer: Customer) -> dict[str, Any]:
    ids = _order_ids(session, customer)
    decisions = select(Decision).where(or_(Decision.customer_id == customer.id, Decision.order_id.in_(ids)))
    return {
        "decisions": _rows(session, decisions.order_by(Decision.id)),
        "review_notes": _rows(
            session, select(ReviewNote).where(ReviewNote.order_id.in_(ids)).order_by(ReviewNote.id)
        ),
    }


def audit_part(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """The audit entries about them: their customer record, their orders, their risk and blocks."""
    subjects = [("customer", customer.id), ("customer_risk", customer.id)]
    subjects += [("order", i) for i in _order_ids(session, customer)]
    events: list[AuditEvent] = []
    for kind, subject_id in subjects:
        events += events_for(session, kind, subject_id)
    return [row_data(e) for e in sorted(events, key=lambda e: e.id)]


for _name, _part in {
    "customer": customer_part,
    "identifiers": identifiers_part,
    "linked_customer_ids": links_part,
    "orders": orders_part,
    "cancellation_requests": cancellation_requests_part,
    "blocks": blocks_part,
    "list_entries": list_entries_part,
    "messages": messages_part,
    "risk": risk_part,
    "returns": returns_part,
    "disputes": disputes_part,
    "screening": screening_part,
    "audit": audit_part,
}.items():
    add_export_part(_name, _part)
