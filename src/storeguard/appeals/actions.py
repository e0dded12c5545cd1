"""Submitting an appeal from the public page, and a second person's decision on it. Never commits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.appeals import policy
from storeguard.appeals.enums import DECIDED, AppealCondition, AppealDecision, AppealError, AppealStatus
from storeguard.appeals.models import Appeal, AppealAttachment
from storeguard.appeals.service import get_appeal
from storeguard.appeals.words import decision_words
from storeguard.core.actor import Actor
from storeguard.core.audit import record_event
from storeguard.core.clock import now
from storeguard.core.config import get_settings
from storeguard.core.errors import Conflict, Forbidden, Invalid, NotFound, parse_choice
from storeguard.customers.models import Customer
from storeguard.lists.appeal_links import read_appeal_token
from storeguard.lists.blocking import appeal_url, block_customer, lift_block
from storeguard.lists.enums import BlockStatus, EntryAction
from storeguard.lists.models import CustomerBlock
from storeguard.notifications.actions import send_notice
from storeguard.notifications.enums import NoticeKind
from storeguard.notifications.render import notice_language


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the customer sent it: the name they gave and its bytes."""

    filename: str
    data: bytes


def block_for_link(session: Session, signed: str, *, lock: bool = False) -> CustomerBlock:
    """Return the block an appeal link names, or refuse a forged or expired link."""
    token, why = read_appeal_token(signed, now())
    if why == "expired":
        raise Forbidden(AppealError.link_expired, "this appeal link has expired; write to the shop instead")
    stmt = select(CustomerBlock).where(CustomerBlock.appeal_token == token)
    block = session.scalar(stmt.with_for_update(key_share=True) if lock else stmt) if token else None
    if block is None:
        raise NotFound(AppealError.link_forged, "this appeal link is not one the shop sent")
    return block


def submit_appeal(
    session: Session, *, link: str, message: str, files: Sequence[Upload] = (), language: str | None = None
) -> Appeal:
    """Record a customer's appeal against the block their link names; tell them it was received."""
    settings = get_settings()
    block = block_for_link(session, link, lock=True)
    if block.status != BlockStatus.active:
        raise Conflict(AppealError.block_not_active, "this block has been lifted already")
    open_one = session.scalar(
        select(Appeal.id).where(Appeal.block_id == block.id, Appeal.status == AppealStatus.open)
    )
    if open_one is not None:
        raise Conflict(
            AppealError.appeal_already_open, "an appeal against this block is waiting for its answer"
        )
    text = (message or "").strip()
    if not text:
        raise Invalid(AppealError.message_required, "tell us why we should look again", field="message")
    if len(text) > policy.MAX_MESSAGE_CHARS:
        raise Invalid(
            AppealError.message_too_long,
            f"write at most {policy.MAX_MESSAGE_CHARS} characters",
            field="message",
        )
    attachments = _checked_files(files, settings.appeal_attachments_max, settings.appeal_attachment_max_bytes)
    customer = session.get(Customer, block.customer_id)
    assert customer is not None  # a block's customer is never deleted
    lang = notice_language(language or customer.locale)
    at = now()
    appeal = Appeal(
        shop_id=block.shop_id,
        block_id=block.id,
        customer_id=customer.id,
        status=AppealStatus.open,
        language=lang,
        message=text,
        submitted_at=at,
        answer_by=policy.answer_by(at, settings.appeal_answer_hours),
        attachments=attachments,
    )
    session.add(appeal)
    session.flush()
    record_event(
        session,
        actor=Actor("customer", str(customer.id)),
        action="appeal.submitted",
        subject_type="appeal",
        subject_id=appeal.id,
        after={"block_id": block.id, "customer_id": customer.id, "answer_by": appeal.answer_by.isoformat()},
        data={"files": [{"name": a.filename, "type": a.content_type, "size": a.size} for a in attachments]},
    )
    if customer.email:
        send_notice(
            session,
            kind=NoticeKind.appeal_received,
            customer=customer,
            language=lang,
            context={"appeal_url": appeal_url(block), "answer_by": appeal.answer_by.date().isoformat()},
            dedupe_key=f"appeal-received:{appeal.id}",
            links={"appeal_id": appeal.id, "block_id": block.id},
        )
    return appeal


def _checked_files(files: Sequence[Upload], most: int, max_bytes: int) -> list[AppealAttachment]:
    sent = [f for f in files if f.data]
    if len(sent) > most:
        raise Invalid(AppealError.too_many_files, f"attach at most {most} files", field="files")
    kept = []
    for upload in sent:
        name = policy.safe_filename(upload.filename)
        if len(upload.data) > max_bytes:
            raise Invalid(
                AppealError.file_too_large,
                f"{name} is larger than {max_bytes // (1 << 20)} MB",
                field="files",
            )
        content_type = policy.sniff(upload.data)
        if content_type is None:
            raise Invalid(
                AppealError.file_type_refused,
                f"{name} is not a PDF, PNG, JPEG, GIF or WebP file",
                field="files",
            )
        kept.append(
            AppealAttachment(
                filename=name,
                content_type=content_type,
                size=len(upload.data),
                sha256=hashlib.sha256(upload.data).hexdigest(),
                data=upload.data,
            )
        )
    return kept


def decide_appeal(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    decision: AppealDecision | str,
    note: str | None = None,
    condition: AppealCondition | str | None = None,
    override_reason: str | None = None,
) -> Appeal:
    """Uphold or lift the block an appeal is against (lift through lists' ``lift_block``); tell the customer.

    The person who made the block may not decide (four eyes), unless an owner writes why.
    Lifting with a condition lifts the block and puts a lighter one (verify or review) in its place.
    """
    chosen = parse_choice(
        AppealDecision, decision, code=AppealError.invalid_decision, field="decision", what="a decision"
    )
    kept_condition = None
    if chosen == AppealDecision.lift_with_conditions:
        if condition is None or not str(condition).strip():
            raise Invalid(
                AppealError.condition_required, "choose the condition that stays", field="condition"
            )
        kept_condition = parse_choice(
            AppealCondition,
            condition,
            code=AppealError.invalid_decision,
            field="condition",
            what="a condition",
        )
    appeal = session.scalar(select(Appeal).where(Appeal.id == appeal_id).with_for_update(key_share=True))
    if appeal is None:
        raise NotFound(AppealError.appeal_not_found, f"no appeal {appeal_id}")
    if appeal.status != AppealStatus.open:
        raise Conflict(AppealError.already_decided, f"appeal {appeal.id} was decided already")
    block = session.get(CustomerBlock, appeal.block_id)
    assert block is not None  # a foreign key holds it
    refusal = policy.reviewer_blocker(
        blocked_by=block.created_by,
        reviewer=str(actor),
        reviewer_role=actor.role,
        override_reason=override_reason,
    )
    if refusal == AppealError.own_block:
        raise Forbidden(refusal, "you made this block: another person decides its appeal")
    if refusal is not None:
        raise Invalid(
            refusal, "you made this block: write why you decide its appeal yourself", field="override_reason"
        )
    words = (note or "").strip() or None
    follow_up = None
    if chosen != AppealDecision.uphold and block.status == BlockStatus.active:
        lift_block(
            session,
            customer_id=appeal.customer_id,
            actor=actor,
            reason=f"appeal {appeal.id} accepted" + (f": {words}" if words else ""),
        )
        if kept_condition is not None:
            follow_up = block_customer(
                session,
                customer_id=appeal.customer_id,
                actor=actor,
                reason_code=block.reason_code,
                evidence={**(block.evidence or {}), "appeal_id": appeal.id},
                justification=block.justification,
                action=EntryAction.verify
                if kept_condition == AppealCondition.verify_only
                else EntryAction.review,
                scope=block.scope,
                identifier_types=block.identifier_types,
                notify=False,
                confirm_broad=True,
            )
    appeal.status = DECIDED[chosen]
    appeal.decided_at, appeal.decided_by, appeal.decision_note = now(), str(actor), words
    appeal.conditions = {"condition": kept_condition.value} if kept_condition is not None else None
    appeal.override_reason = (
        (override_reason or "").strip() or None if str(actor) == block.created_by else None
    )
    appeal.follow_up_block_id = follow_up.id if follow_up is not None else None
    session.flush()
    record_event(
        session,
        actor=actor,
        action="appeal.decided",
        subject_type="appeal",
        subject_id=appeal.id,
        reason=words,
        before={"status": AppealStatus.open.value},
        after={
            "status": appeal.status.value if isinstance(appeal.status, AppealStatus) else appeal.status,
            "block_id": block.id,
            "condition": kept_condition.value if kept_condition is not None else None,
            "follow_up_block_id": appeal.follow_up_block_id,
        },
        data={"override_reason": appeal.override_reason} if appeal.override_reason else None,
    )
    customer = session.get(Customer, appeal.customer_id)
    if customer is not None and customer.email:
        send_notice(
            session,
            kind=NoticeKind.appeal_decided,
            customer=customer,
            language=appeal.language,
            context={
                "decision": appeal.status,
                "decision_words": decision_words(AppealStatus(appeal.status), appeal.language),
                "note": words or "",
                "appeal_url": appeal_url(block),
            },
            dedupe_key=f"appeal-decided:{appeal.id}",
            links={"appeal_id": appeal.id, "block_id": block.id},
        )
    return get_appeal(session, appeal.id)
