"""The erasure parts of the domains that came before privacy: what each removes or replaces.

Orders keep their amounts, products and states for the books; blocks keep their reason and scope,
and an identifier an active block needs is kept as its keyed hash, so the block still matches a
returning customer. Free text the merchant wrote about the person (a block's justification, a
note) keeps its words but loses the person's values (their email, name, phone become "[erased]").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from storeguard.appeals.models import Appeal, AppealAttachment
from storeguard.cases.models import Case, CaseEntry, ConductIncident
from storeguard.core.config import get_settings
from storeguard.core.enums import OutboxStatus
from storeguard.core.models import OutboxMessage
from storeguard.core.privacy import Erasure, add_erasure_part
from storeguard.customers.models import Customer, Identifier
from storeguard.disputes.models import Dispute, DisputeEvent, DisputeNote
from storeguard.lists.actions import bump_version
from storeguard.lists.enums import EntryKind, EntryStatus
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.lists.policy import dedupe_key
from storeguard.notifications.models import SentNotice
from storeguard.orders.models import CancellationRequest, Order
from storeguard.returns.models import Return, ReturnPhoto
from storeguard.returns.service import photos_dir
from storeguard.risk.models import CustomerRisk
from storeguard.screening.models import Decision, ReviewNote

# What an order holds about the person; amounts, lines, states and dates stay.
_ORDER_PERSONAL = (
    "email",
    "phone",
    "shipping_address",
    "billing_address",
    "browser_ip",
    "user_agent",
    "device_id",
    "payment_fingerprint",
    "card_bin",
    "card_last4",
    "card_expiry",
    "checkout",
    "note",
)


def _scrub_rows(erasure: Erasure, rows: Any, *columns: str) -> int:
    """Replace the person's values in these columns of these rows; return how many rows changed."""
    changed = 0
    for row in rows:
        touched = False
        for column in columns:
            old = getattr(row, column)
            new = erasure.scrub(old)
            if new != old:
                setattr(row, column, new)
                touched = True
        changed += touched
    return changed


def _order_ids(session: Session, customer: Customer) -> list[int]:
    return list(session.scalars(select(Order.id).where(Order.customer_id == customer.id)))


def customer_part(session: Session, erasure: Erasure) -> int:
    """Their name, email, phone, note, tags and platform account; the row stays, marked erased."""
    c = erasure.customer
    erasure.forget(
        c.email, c.phone, c.first_name, c.last_name, f"{c.first_name} {c.last_name}", c.note, c.platform_id
    )
    c.email = c.phone = c.note = c.platform_id = None
    c.first_name = c.last_name = ""
    c.tags = []
    c.erased_at = erasure.at
    erasure.about("customer", c.id)
    erasure.about("customer_risk", c.id)
    return 1


def orders_part(session: Session, erasure: Erasure) -> int:
    """Addresses, emails, IPs, devices, cards and notes of their orders; amounts and products stay."""
    orders = list(session.scalars(select(Order).where(Order.customer_id == erasure.customer.id)))
    for order in orders:
        erasure.forget(*(getattr(order, name) for name in _ORDER_PERSONAL))
        for name in _ORDER_PERSONAL:
            setattr(order, name, None)
        erasure.about("order", order.id)
    return len(orders)


def identifiers_part(session: Session, erasure: Erasure) -> int:
    """Their identifiers: kept as keyed hashes where an active block needs them, removed otherwise.

    Their list entries (active or lifted) keep only the hash of the identifier too, so a lifted
    entry names no one either; the entry's duplicate key is recomputed over the hash.
    """
    customer = erasure.customer
    entries = list(session.scalars(select(ListEntry).where(ListEntry.customer_id == customer.id)))
    needed = {
        (e.type, e.value) for e in entries if e.kind == EntryKind.block and e.status == EntryStatus.active
    }
    identifiers = list(session.scalars(select(Identifier).where(Identifier.customer_id == customer.id)))
    for identifier in identifiers:
        erasure.forget(identifier.value, identifier.display)
    for entry in entries:
        erasure.forget(entry.display, entry.value if entry.type != "customer" else None)
    for identifier in identifiers:
        if (identifier.type, identifier.value) in needed:
            identifier.value = erasure.hash(identifier.type, identifier.value)
            identifier.display = ""
        else:
            session.delete(identifier)
    for entry in entries:
        if entry.type != "customer":  # an entry on the customer names them by id alone
            entry.value = erasure.hash(entry.type, entry.value)
        entry.display = ""
        entry.note = erasure.scrub(entry.note)
        entry.lift_reason = erasure.scrub(entry.lift_reason)
        entry.dedupe_key = dedupe_key(entry.kind, entry.type, entry.value, entry.action, entry.scope or {})
        erasure.about("list_entry", entry.id)
    if entries:
        bump_version(session, customer.shop_id)  # matchers rebuild what they cached of the old values
    return len(identifiers) + len(entries)


def blocks_part(session: Session, erasure: Erasure) -> int:
    """Their blocks keep reason, scope and evidence ids; the person's values leave the free text."""
    blocks = list(
        session.scalars(select(CustomerBlock).where(CustomerBlock.customer_id == erasure.customer.id))
    )
    return _scrub_rows(erasure, blocks, "justification", "lift_reason", "evidence")


def notices_part(session: Session, erasure: Erasure) -> int:
    """The notices sent or queued to them: the address and words go; one not yet sent is not sent."""
    customer_id = erasure.customer.id
    sent = list(session.scalars(select(SentNotice).where(SentNotice.customer_id == customer_id)))
    ids = {n.outbox_message_id for n in sent}
    ids |= set(
        session.scalars(
            select(CustomerBlock.notice_message_id).where(
                CustomerBlock.customer_id == customer_id, CustomerBlock.notice_message_id.is_not(None)
            )
        )
    )
    cases = select(Case.id).where(Case.customer_id == customer_id)
    ids |= set(
        session.scalars(
            select(CaseEntry.outbox_message_id).where(
                CaseEntry.case_id.in_(cases), CaseEntry.outbox_message_id.is_not(None)
            )
        )
    )
    for notice in sent:
        erasure.forget(notice.to)
        notice.to, notice.subject = "", ""
    messages = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
    for message in messages:
        message.payload = {"erased": True}
        if message.status == OutboxStatus.pending:
            message.status = OutboxStatus.dead
            message.last_error = "not sent: the customer's personal data was erased"
        erasure.about("outbox_message", message.id)
    return len(sent) + len(messages)


def cases_part(session: Session, erasure: Erasure) -> int:
    """Their conversations: message bodies and attachments go; the log's shape and dates stay."""
    cases = list(session.scalars(select(Case).where(Case.customer_id == erasure.customer.id)))
    folder = Path(get_settings().data_dir) / "case-attachments"
    changed = 0
    for case in cases:
        erasure.forget(case.customer_email, case.customer_name)
        case.customer_email = case.customer_name = None
        case.subject = erasure.scrub(case.subject)
        erasure.about("case", case.id)
        for entry in case.entries:
            hashes = [a.get("sha256") for a in entry.attachments or [] if a.get("sha256")]
            entry.body, entry.html, entry.subject, entry.attachments = "", None, None, []
            changed += 1
            for digest in hashes:
                if not attachment_used_elsewhere(session, digest, entry.id):
                    erasure.files.append(folder / digest)
        incidents = list(session.scalars(select(ConductIncident).where(ConductIncident.case_id == case.id)))
        for incident in incidents:
            incident.triggers = []
    return len(cases) + changed


def attachment_used_elsewhere(session: Session, digest: str, entry_id: int) -> bool:
    """Attachments are stored once by their hash: another message may hold the same file."""
    stmt = select(func.count()).where(
        CaseEntry.id != entry_id, cast(CaseEntry.attachments, String).contains(digest)
    )
    return bool(session.scalar(stmt))


def appeals_part(session: Session, erasure: Erasure) -> int:
    """Their appeals' words and files; the decision and its dates stay."""
    appeals = list(session.scalars(select(Appeal).where(Appeal.customer_id == erasure.customer.id)))
    for appeal in appeals:
        appeal.message = ""
        appeal.decision_note = erasure.scrub(appeal.decision_note)
        appeal.override_reason = erasure.scrub(appeal.override_reason)
        erasure.about("appeal", appeal.id)
    ids = [a.id for a in appeals]
    for attachment in session.scalars(select(AppealAttachment).where(AppealAttachment.appeal_id.in_(ids))):
        session.delete(attachment)
    return len(appeals)


def returns_part(session: Session, erasure: Erasure) -> int:
    """Their returns' notes and photos; lines, amounts and outcomes stay."""
    returns = list(session.scalars(select(Return).where(Return.customer_id == erasure.customer.id)))
    folder = photos_dir()
    for rma in returns:
        rma.customer_note = None
        rma.decision_note = erasure.scrub(rma.decision_note)
        rma.inspection_note = erasure.scrub(rma.inspection_note)
        erasure.about("return", rma.id)
    ids = [r.id for r in returns]
    for photo in session.scalars(select(ReturnPhoto).where(ReturnPhoto.return_id.in_(ids))):
        erasure.files.append(folder / photo.path)
        session.delete(photo)
    return len(returns)


def records_part(session: Session, erasure: Erasure) -> int:
    """What other records say in passing: screening reasons, review notes, risk findings, disputes,
    cancellation requests. They keep their words but lose the person's values."""
    customer_id = erasure.customer.id
    order_ids = _order_ids(session, erasure.customer)
    disputes = list(
        session.scalars(
            select(Dispute).where(or_(Dispute.customer_id == customer_id, Dispute.order_id.in_(order_ids)))
        )
    )
    dispute_ids = [d.id for d in disputes]
    erasure.about("dispute", *dispute_ids)
    decisions = session.scalars(
        select(Decision).where(or_(Decision.customer_id == customer_id, Decision.order_id.in_(order_ids)))
    )
    return (
        _scrub_rows(erasure, decisions, "reasons", "verification")
        + _scrub_rows(
            erasure, session.scalars(select(ReviewNote).where(ReviewNote.order_id.in_(order_ids))), "body"
        )
        + _scrub_rows(
            erasure,
            session.scalars(select(CustomerRisk).where(CustomerRisk.customer_id == customer_id)),
            "findings",
        )
        + _scrub_rows(erasure, disputes, "note", "response_note", "evidence")
        + _scrub_rows(
            erasure,
            session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_id.in_(dispute_ids))),
            "data",
        )
        + _scrub_rows(
            erasure,
            session.scalars(select(DisputeNote).where(DisputeNote.dispute_id.in_(dispute_ids))),
            "body",
        )
        + _scrub_rows(
            erasure,
            session.scalars(select(CancellationRequest).where(CancellationRequest.order_id.in_(order_ids))),
            "message",
        )
    )


for _name, _part in {
    "customer": customer_part,
    "orders": orders_part,
    "identifiers": identifiers_part,
    "blocks": blocks_part,
    "notices": notices_part,
    "cases": cases_part,
    "appeals": appeals_part,
    "returns": returns_part,
    "records": records_part,
}.items():
    add_erasure_part(_name, _part)
