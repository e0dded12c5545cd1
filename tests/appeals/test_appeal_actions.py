"""Appeals: submitted from the notice's link, decided by a second person, the block lifted through lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.appeals.actions import Upload, decide_appeal, submit_appeal
from storeguard.appeals.models import Appeal, AppealAttachment
from storeguard.core.actor import Actor
from storeguard.core.clock import frozen
from storeguard.core.enums import Role
from storeguard.core.errors import Conflict, Forbidden, Invalid, NotFound
from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.lists.blocking import active_block
from storeguard.lists.enums import BlockStatus
from storeguard.notifications.models import SentNotice
from tests.appeals.helpers import BLOCKER, OWNER, PDF, PNG, REVIEWER, blocked_customer


def _appeals(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Appeal)) or 0


def test_submit_appeal_records_it_with_a_target_time_and_mails_the_customer(session: Session) -> None:
    b = blocked_customer(session)
    with frozen(datetime(2026, 12, 5, 10, tzinfo=UTC)):
        appeal = submit_appeal(
            session, link=b.link, message="הפריטים לא היו בשימוש", files=[Upload("r.pdf", PDF)]
        )
    assert (appeal.block_id, appeal.status, appeal.language) == (b.block.id, "open", "he")
    assert appeal.answer_by == datetime(2026, 12, 8, 10, tzinfo=UTC)
    assert [(a.filename, a.content_type, a.size) for a in appeal.attachments] == [
        ("r.pdf", "application/pdf", len(PDF))
    ]
    mail = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"appeal-received:{appeal.id}")
    )
    assert mail.payload["template"] == "appeal_received" and mail.payload["dir"] == "rtl"
    assert "2026-12-08" in mail.payload["text"]


def test_a_forged_link_is_refused_and_nothing_is_stored(session: Session) -> None:
    b = blocked_customer(session)
    token, expires, _sig = b.link.split(".")
    with pytest.raises(NotFound) as refused:
        submit_appeal(session, link=f"{token}.{int(expires) + 86400}.{_sig}", message="please")
    assert refused.value.code == "link_forged" and _appeals(session) == 0


def test_an_expired_link_is_refused_and_nothing_is_stored(session: Session) -> None:
    b = blocked_customer(session)
    with frozen(b.block.created_at + timedelta(days=91)), pytest.raises(Forbidden) as refused:
        submit_appeal(session, link=b.link, message="please")
    assert refused.value.code == "link_expired" and _appeals(session) == 0


def test_a_second_appeal_while_one_is_open_is_refused(session: Session) -> None:
    b = blocked_customer(session)
    submit_appeal(session, link=b.link, message="first")
    with pytest.raises(Conflict) as refused:
        submit_appeal(session, link=b.link, message="second")
    assert refused.value.code == "appeal_already_open" and _appeals(session) == 1


def test_a_file_whose_bytes_are_not_an_allowed_type_is_refused(session: Session) -> None:
    b = blocked_customer(session)
    with pytest.raises(Invalid) as refused:
        submit_appeal(session, link=b.link, message="see file", files=[Upload("photo.png", b"MZ\x90\x00exe")])
    assert refused.value.code == "file_type_refused" and _appeals(session) == 0
    assert session.scalar(select(func.count()).select_from(AppealAttachment)) == 0


def test_a_file_over_the_size_limit_is_refused(session: Session) -> None:
    b = blocked_customer(session)
    with pytest.raises(Invalid) as refused:
        submit_appeal(
            session, link=b.link, message="see file", files=[Upload("big.png", PNG + b"\x00" * (5 << 20))]
        )
    assert refused.value.code == "file_too_large" and _appeals(session) == 0


def test_the_person_who_blocked_may_not_decide_the_appeal(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    with pytest.raises(Forbidden) as refused:
        decide_appeal(session, appeal_id=appeal.id, actor=BLOCKER, decision="lift")
    assert refused.value.code == "own_block"
    assert (appeal.status, active_block(session, b.customer.id).id) == ("open", b.block.id)


def test_an_owner_who_blocked_decides_only_with_a_written_reason(session: Session) -> None:
    b = blocked_customer(session, actor=OWNER)
    appeal = submit_appeal(session, link=b.link, message="please")
    with pytest.raises(Invalid) as refused:
        decide_appeal(session, appeal_id=appeal.id, actor=OWNER, decision="lift")
    assert refused.value.code == "override_reason_required" and appeal.status == "open"
    decided = decide_appeal(
        session,
        appeal_id=appeal.id,
        actor=OWNER,
        decision="lift",
        override_reason="alone in the shop this week",
    )
    assert (decided.status, decided.override_reason) == ("lifted", "alone in the shop this week")


def test_lifting_on_appeal_lifts_the_block_audits_and_tells_the_customer(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    decided = decide_appeal(session, appeal_id=appeal.id, actor=REVIEWER, decision="lift", note="Thank you")
    assert (decided.status, decided.decided_by, decided.decision_note) == (
        "lifted",
        str(REVIEWER),
        "Thank you",
    )
    session.refresh(b.block)
    assert (b.block.status, b.block.lifted_by) == (BlockStatus.lifted, str(REVIEWER))
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "appeal.decided"))
    assert (event.subject_id, event.after["status"]) == (str(appeal.id), "lifted")
    mail = session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"appeal-decided:{appeal.id}")
    )
    assert "החסימה הוסרה: אפשר להזמין אצלנו שוב." in mail.payload["text"]


def test_upholding_keeps_the_block(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    decided = decide_appeal(session, appeal_id=appeal.id, actor=REVIEWER, decision="uphold")
    assert decided.status == "upheld" and active_block(session, b.customer.id).id == b.block.id


def test_lifting_with_verify_only_puts_a_verify_block_in_place(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    decided = decide_appeal(
        session, appeal_id=appeal.id, actor=REVIEWER, decision="lift_with_conditions", condition="verify_only"
    )
    follow_up = active_block(session, b.customer.id)
    assert (decided.status, decided.conditions) == ("lifted_with_conditions", {"condition": "verify_only"})
    assert (follow_up.id, follow_up.action, follow_up.notice_message_id) == (
        decided.follow_up_block_id,
        "verify",
        None,
    )


def test_a_decided_appeal_is_not_decided_again(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    decide_appeal(session, appeal_id=appeal.id, actor=REVIEWER, decision="uphold")
    with pytest.raises(Conflict) as refused:
        decide_appeal(session, appeal_id=appeal.id, actor=REVIEWER, decision="lift")
    assert refused.value.code == "already_decided" and active_block(session, b.customer.id) is not None


def test_every_mail_to_the_customer_is_in_their_log(session: Session) -> None:
    b = blocked_customer(session)
    appeal = submit_appeal(session, link=b.link, message="please")
    decide_appeal(session, appeal_id=appeal.id, actor=Actor("staff", "x@y", Role.admin), decision="uphold")
    kinds = session.scalars(
        select(SentNotice.kind).where(SentNotice.customer_id == b.customer.id).order_by(SentNotice.id)
    ).all()
    assert kinds == ["block_notice", "appeal_received", "appeal_decided"]
