"""Reading appeals: the staff queue by target time, one appeal, and what the public page may show."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storeguard.appeals.enums import AppealError, AppealStatus
from storeguard.appeals.models import Appeal, AppealAttachment
from storeguard.core.errors import NotFound


def get_appeal(session: Session, appeal_id: int) -> Appeal:
    """Return one appeal with its files, or answer 404."""
    appeal = session.scalar(
        select(Appeal).where(Appeal.id == appeal_id).options(selectinload(Appeal.attachments))
    )
    if appeal is None:
        raise NotFound(AppealError.appeal_not_found, f"no appeal {appeal_id}")
    return appeal


def list_appeals(
    session: Session,
    *,
    status: AppealStatus | None = AppealStatus.open,
    shop_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Appeal], int]:
    """Return appeals, the soonest target time first, and how many there are."""
    stmt = select(Appeal)
    if status is not None:
        stmt = stmt.where(Appeal.status == status)
    if shop_id is not None:
        stmt = stmt.where(Appeal.shop_id == shop_id)
    if customer_id is not None:
        stmt = stmt.where(Appeal.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Appeal.answer_by, Appeal.id).limit(limit).offset(offset)).all()
    return list(rows), total


def appeals_of_block(session: Session, block_id: int) -> list[Appeal]:
    """Return every appeal against one block, newest first."""
    return list(session.scalars(select(Appeal).where(Appeal.block_id == block_id).order_by(Appeal.id.desc())))


def get_attachment(session: Session, appeal_id: int, attachment_id: int) -> AppealAttachment:
    """Return one file of an appeal, or answer 404."""
    found = session.scalar(
        select(AppealAttachment).where(
            AppealAttachment.id == attachment_id, AppealAttachment.appeal_id == appeal_id
        )
    )
    if found is None:
        raise NotFound(AppealError.appeal_not_found, f"no file {attachment_id} on appeal {appeal_id}")
    return found


def open_count(session: Session) -> int:
    """Return how many appeals wait for a decision."""
    return session.scalar(select(func.count()).where(Appeal.status == AppealStatus.open)) or 0
