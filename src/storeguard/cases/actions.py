"""The only code that changes cases: open, take a message in, answer, note, and move a case along.

Each action locks what it changes, records an audit event and flushes; the entry point commits.
Mail goes out through the outbox (kind ``email``) with its Message-ID chosen here, so a reply the
customer sends back threads to the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.cases import (
    evidence,  # noqa: F401 - puts case messages in dispute evidence
    policy,
)
from storeguard.cases.conduct_actions import check_inbound
from storeguard.cases.enums import CaseChannel, CaseError, CaseLinkKind, CasePriority, CaseStatus, EntryKind
from storeguard.cases.inbound import ParsedMail
from storeguard.cases.mail import send_case_mail
from storeguard.cases.models import Case, CaseEntry, CaseLink
from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Conflict, Invalid, NotFound, parse_choice
from storeguard.customers.actions import customer_for_contact
from storeguard.customers.models import Customer
from storeguard.disputes.models import Dispute
from storeguard.orders.models import Order
from storeguard.returns.models import Return
from storeguard.shops.service import get_shop
from storeguard.staff.service import list_staff_users

_LINKED = {CaseLinkKind.order: Order, CaseLinkKind.return_: Return, CaseLinkKind.dispute: Dispute}


def locked_case(session: Session, case_id: int) -> Case:
    """The case, locked for a change, or 404."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update(key_share=True))
    if case is None:
        raise NotFound(CaseError.case_not_found, f"no case {case_id}")
    return case


def open_case(
    session: Session,
    *,
    shop_id: int,
    channel: str,
    actor: Actor,
    subject: str = "",
    customer_id: int | None = None,
    customer_email: str | None = None,
    customer_name: str | None = None,
    priority: str = CasePriority.normal,
    links: Iterable[tuple[str, int]] = (),
) -> Case:
    """Open a case for a conversation, with the shop's service targets counting from now."""
    shop = get_shop(session, shop_id, field="shop_id")
    kind = parse_choice(
        CaseChannel, channel, code=CaseError.invalid_channel, field="channel", what="a channel"
    )
    level = parse_choice(
        CasePriority, priority, code=CaseError.invalid_priority, field="priority", what="a priority"
    )
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer_id is not None and (customer is None or customer.shop_id != shop.id):
        raise Invalid(
            CaseError.link_not_found, f"this shop has no customer {customer_id}", field="customer_id"
        )
    targets = policy.targets(shop.settings)
    at = now()
    case = Case(
        shop_id=shop.id,
        customer_id=customer.id if customer else None,
        subject=subject.strip()[:300],
        channel=kind,
        status=CaseStatus.new,
        priority=level,
        customer_email=customer_email or (customer.email if customer else None),
        customer_name=customer_name or (customer.name if customer else None),
        language=customer.locale if customer else "en",
        first_answer_due_at=at + targets.first_answer,
        resolution_due_at=at + targets.resolution,
        tags=[],
        created_at=at,
    )
    session.add(case)
    session.flush()
    for link_kind, ref_id in links:
        link_case(session, case=case, kind=link_kind, ref_id=ref_id, actor=actor, audit=False)
    record_event(
        session,
        actor=actor,
        action="case.opened",
        subject_type="case",
        subject_id=case.id,
        after={"channel": str(kind), "customer_id": case.customer_id, "subject": case.subject},
    )
    return case


def link_case(
    session: Session, *, case: Case, kind: str, ref_id: int, actor: Actor, audit: bool = True
) -> CaseLink:
    """Link an order, return or dispute of the shop to the case."""
    link_kind = parse_choice(
        CaseLinkKind, kind, code=CaseError.invalid_link, field="kind", what="a kind of link"
    )
    target = session.get(_LINKED[link_kind], ref_id)
    if target is None or getattr(target, "shop_id", case.shop_id) != case.shop_id:
        raise Invalid(CaseError.link_not_found, f"this shop has no {link_kind} {ref_id}", field="ref_id")
    link = next((x for x in case.links if x.kind == link_kind and x.ref_id == ref_id), None)
    if link is None:
        link = CaseLink(kind=link_kind, ref_id=ref_id)
        case.links.append(link)
        session.flush()
        if audit:
            record_event(
                session,
                actor=actor,
                action="case.linked",
                subject_type="case",
                subject_id=case.id,
                data={"kind": str(link_kind), "ref_id": ref_id},
            )
    return link


def _keep_attachments(mail: ParsedMail) -> list[dict[str, object]]:
    """Write the attachments under data_dir by their hash; the log keeps name, type, size and hash."""
    folder = Path(get_settings().data_dir) / "case-attachments"
    kept = []
    for item in mail.attachments:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / item.sha256
        if not path.exists():
            path.write_bytes(item.data)
        kept.append(
            {
                "filename": item.filename,
                "content_type": item.content_type,
                "size": len(item.data),
                "sha256": item.sha256,
            }
        )
    return kept


def record_message(
    session: Session,
    *,
    case: Case,
    body: str,
    actor: Actor,
    channel: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    html: str | None = None,
    attachments: list[dict[str, object]] | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
) -> CaseEntry:
    """Add a customer's message to the log, check it for conduct, and let the policy answer it."""
    if not body.strip() and not attachments:
        raise Invalid(CaseError.body_required, "the message is empty", field="body")
    kind = parse_choice(
        CaseChannel,
        channel or case.channel,
        code=CaseError.invalid_channel,
        field="channel",
        what="a channel",
    )
    entry = CaseEntry(
        case_id=case.id,
        kind=EntryKind.inbound,
        channel=kind,
        author=author or case.customer_email or "customer",
        subject=subject,
        body=body,
        html=html,
        attachments=attachments or [],
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references or [],
        created_at=now(),
    )
    session.add(entry)
    case.last_message_at = entry.created_at
    if CaseStatus(case.status) in (CaseStatus.waiting_on_customer, CaseStatus.resolved):
        case.status = CaseStatus.open  # the customer answered: the case is the team's again
    session.flush()
    record_event(
        session,
        actor=actor,
        action="case.message_received",
        subject_type="case",
        subject_id=case.id,
        data={"entry_id": entry.id, "channel": str(kind)},
    )
    check_inbound(session, case=case, entry=entry, actor=actor)
    return entry


def thread_of(session: Session, shop_id: int, mail: ParsedMail) -> Case | None:
    """The shop's case a mail answers, by the Message-IDs in its In-Reply-To and References."""
    ids = mail.thread_ids
    if not ids:
        return None
    return session.scalar(
        select(Case)
        .join(CaseEntry, CaseEntry.case_id == Case.id)
        .where(Case.shop_id == shop_id, CaseEntry.message_id.in_(ids))
        .order_by(CaseEntry.id.desc())
        .limit(1)
    )


def receive_email(
    session: Session, *, shop_id: int, mail: ParsedMail, actor: Actor
) -> tuple[Case, CaseEntry]:
    """Take in a parsed mail: into the case it answers, else a new case for the customer who wrote.

    A mail seen before (same Message-ID in the shop) is not taken twice: the first entry answers.
    """
    if mail.message_id:
        seen = session.scalar(
            select(CaseEntry)
            .join(Case, Case.id == CaseEntry.case_id)
            .where(Case.shop_id == shop_id, CaseEntry.message_id == mail.message_id)
        )
        if seen is not None:
            return seen.case, seen
    case = thread_of(session, shop_id, mail)
    if case is not None:
        case = locked_case(session, case.id)
    else:
        # The customer with this address on record, else the one whose identifiers match it (or a new one).
        customer = session.scalar(
            select(Customer)
            .where(Customer.shop_id == shop_id, func.lower(Customer.email) == mail.from_address)
            .order_by(Customer.id)
            .limit(1)
        ) or customer_for_contact(session, shop_id=shop_id, actor=actor, email=mail.from_address, phone=None)
        if customer is not None and mail.from_name and not customer.first_name and not customer.last_name:
            first, _, last = mail.from_name.partition(" ")
            customer.first_name, customer.last_name = first[:100], last[:100]
        case = open_case(
            session,
            shop_id=shop_id,
            channel=CaseChannel.email,
            actor=actor,
            subject=mail.subject,
            customer_id=customer.id if customer else None,
            customer_email=mail.from_address,
            customer_name=mail.from_name or None,
        )
    entry = record_message(
        session,
        case=case,
        body=mail.text,
        actor=actor,
        channel=CaseChannel.email,
        author=mail.from_address,
        subject=mail.subject,
        html=mail.html,
        attachments=_keep_attachments(mail),
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
    )
    return case, entry


def _reply_subject(case: Case) -> str:
    subject = case.subject or f"Case {case.id}"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def reply_to_case(
    session: Session, *, case_id: int, actor: Actor, body: str, channel: str = CaseChannel.email
) -> CaseEntry:
    """Answer the customer: by mail through the outbox (threaded), or log what was said on chat or phone."""
    case = locked_case(session, case_id)
    if CaseStatus(case.status) == CaseStatus.closed:
        raise Conflict(CaseError.case_closed, "the case is closed; open a new one to write again")
    if not body.strip():
        raise Invalid(CaseError.body_required, "write the answer first", field="body")
    kind = parse_choice(
        CaseChannel, channel, code=CaseError.invalid_channel, field="channel", what="a channel"
    )
    refusal = policy.reply_channel_refusal(kind, case.official_channels_only)
    if refusal:
        raise Conflict(CaseError.channel_not_allowed, refusal, field="channel", what="a channel")
    if kind == CaseChannel.email:
        entry = send_case_mail(
            session, case=case, subject=_reply_subject(case), text=body.strip(), author=str(actor)
        )
    else:
        entry = CaseEntry(
            case_id=case.id, kind=EntryKind.outbound, channel=kind, author=str(actor), body=body.strip()
        )
        session.add(entry)
        session.flush()
    at = now()
    case.first_answered_at = case.first_answered_at or at
    case.last_message_at = at
    if CaseStatus(case.status) == CaseStatus.new or CaseStatus(case.status) == CaseStatus.open:
        case.status = CaseStatus.waiting_on_customer
    session.flush()
    record_event(
        session,
        actor=actor,
        action="case.answered",
        subject_type="case",
        subject_id=case.id,
        data={"entry_id": entry.id, "channel": str(kind)},
    )
    return entry


def add_case_note(
    session: Session, *, case_id: int, actor: Actor, body: str, corrects_entry_id: int | None = None
) -> CaseEntry:
    """Keep a note for the team (never sent); a correction of an earlier entry names it."""
    case = locked_case(session, case_id)
    if not body.strip():
        raise Invalid(CaseError.body_required, "write the note first", field="body")
    corrected = session.get(CaseEntry, corrects_entry_id) if corrects_entry_id is not None else None
    if corrects_entry_id is not None and (corrected is None or corrected.case_id != case.id):
        raise Invalid(
            CaseError.link_not_found,
            f"case {case.id} has no entry {corrects_entry_id}",
            field="corrects_entry_id",
        )
    entry = CaseEntry(
        case_id=case.id,
        kind=EntryKind.note,
        channel=case.channel,
        author=str(actor),
        body=body.strip(),
        corrects_entry_id=corrects_entry_id,
        created_at=now(),
    )
    session.add(entry)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="case.note_added",
        subject_type="case",
        subject_id=case.id,
        data={"entry_id": entry.id},
    )
    return entry


def update_case(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    status: str | None = None,
    priority: str | None = None,
    assignee: str | None = None,
    tags: Iterable[str] | None = None,
) -> Case:
    """Move a case along: its status, priority, who has it, and its tags."""
    case = locked_case(session, case_id)
    before = {
        "status": str(case.status),
        "priority": str(case.priority),
        "assignee": case.assignee,
        "tags": list(case.tags),
    }
    if status is not None:
        new = parse_choice(
            CaseStatus, status, code=CaseError.invalid_status, field="status", what="a case status"
        )
        if new.is_done and not CaseStatus(case.status).is_done:
            case.resolved_at = now()
        elif not new.is_done:
            case.resolved_at = None
        case.status = new
    if priority is not None:
        case.priority = parse_choice(
            CasePriority, priority, code=CaseError.invalid_priority, field="priority", what="a priority"
        )
    if assignee is not None:
        wanted = assignee.strip().lower()
        if wanted and wanted not in {u.email.lower() for u in list_staff_users(session)}:
            raise Invalid(CaseError.unknown_assignee, f"no staff member {assignee}", field="assignee")
        case.assignee = wanted or None
    if tags is not None:
        case.tags = list(dict.fromkeys(t.strip().lower()[:40] for t in tags if t.strip()))
    session.flush()
    after = {
        "status": str(case.status),
        "priority": str(case.priority),
        "assignee": case.assignee,
        "tags": list(case.tags),
    }
    record_event(
        session,
        actor=actor,
        action="case.updated",
        subject_type="case",
        subject_id=case.id,
        before=before,
        after=after,
    )
    return case
