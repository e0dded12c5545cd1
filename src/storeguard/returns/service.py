"""Reading returns: one return, the queue by state, an order's or a customer's, and a shop's policy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storeguard.core.config import get_settings
from storeguard.core.errors import NotFound
from storeguard.core.pages import KeysetPage, fetch_keyset, fetch_page
from storeguard.orders.models import LineItem, Order
from storeguard.orders.policy import line_refund_amount
from storeguard.returns.enums import ReturnError, ReturnStatus
from storeguard.returns.models import Return, ReturnLine, ReturnPhoto, ReturnPolicy
from storeguard.returns.policy import merged_policy, returnable_quantity


def get_return(session: Session, return_id: int) -> Return:
    """Return one return with its lines and photos, or refuse with 404."""
    rma = session.scalar(
        select(Return)
        .where(Return.id == return_id)
        .options(selectinload(Return.lines), selectinload(Return.photos))
    )
    if rma is None:
        raise NotFound(ReturnError.return_not_found, f"no return {return_id}")
    return rma


def return_page(
    session: Session,
    *,
    shop_id: int | None = None,
    status: ReturnStatus | str | None = None,
    order_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    after: tuple[object, int] | None = None,
    before: tuple[object, int] | None = None,
) -> KeysetPage[Return]:
    """Return one page of returns that match, newest request first."""
    stmt = select(Return).options(selectinload(Return.lines))
    if shop_id is not None:
        stmt = stmt.where(Return.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(Return.status == str(status))
    if order_id is not None:
        stmt = stmt.where(Return.order_id == order_id)
    if customer_id is not None:
        stmt = stmt.where(Return.customer_id == customer_id)
    return fetch_keyset(
        session, stmt, (Return.requested_at, Return.id), limit=limit, after=after, before=before
    )


def list_returns(
    session: Session,
    *,
    shop_id: int | None = None,
    status: ReturnStatus | str | None = None,
    order_id: int | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Return], int]:
    """Return one page of returns that match, newest first, and how many match in all."""
    stmt = select(Return).options(selectinload(Return.lines), selectinload(Return.photos))
    for column, value in (
        (Return.shop_id, shop_id),
        (Return.status, status),
        (Return.order_id, order_id),
        (Return.customer_id, customer_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return fetch_page(session, stmt, Return.requested_at.desc(), Return.id.desc(), limit=limit, offset=offset)


def returns_of_order(session: Session, order_id: int) -> list[Return]:
    """Every return of an order, oldest first, with its lines."""
    return list(
        session.scalars(
            select(Return)
            .where(Return.order_id == order_id)
            .options(selectinload(Return.lines))
            .order_by(Return.id)
        )
    )


def returns_of_customer(session: Session, customer_id: int, limit: int = 20) -> list[Return]:
    """A customer's latest returns, newest first, with their lines."""
    return list(
        session.scalars(
            select(Return)
            .where(Return.customer_id == customer_id)
            .options(selectinload(Return.lines))
            .order_by(Return.id.desc())
            .limit(limit)
        )
    )


def status_counts(session: Session, shop_id: int | None = None) -> dict[str, int]:
    """How many returns are in each state (for the queue's tabs and the dashboard)."""
    stmt = select(Return.status, func.count()).group_by(Return.status)
    if shop_id is not None:
        stmt = stmt.where(Return.shop_id == shop_id)
    return {str(status): int(n) for status, n in session.execute(stmt)}


def return_policy(session: Session, shop_id: int) -> tuple[dict[str, object], int]:
    """A shop's return policy (defaults laid under its own) and its revision (0: never changed)."""
    row = session.get(ReturnPolicy, shop_id)
    return merged_policy(row.data if row else None), row.revision if row else 0


def photos_dir() -> Path:
    """Where photos of returned goods are kept."""
    settings = get_settings()
    return settings.return_photos_dir or settings.data_dir / "return-photos"


def photo_limit() -> int:
    """The largest photo a return accepts, in bytes."""
    return get_settings().return_photo_max_bytes


def photo_file(session: Session, return_id: int, photo_id: int) -> tuple[ReturnPhoto, Path]:
    """A return's photo and its file, or refuse with 404."""
    photo = session.get(ReturnPhoto, photo_id)
    if photo is None or photo.return_id != return_id:
        raise NotFound(ReturnError.return_not_found, f"return {return_id} has no photo {photo_id}")
    return photo, photos_dir() / photo.path


def units_in_returns(session: Session, order_id: int) -> dict[int, int]:
    """Units of each order line already in a return that was not declined or rejected."""
    rows = session.execute(
        select(ReturnLine.line_item_id, ReturnLine.quantity)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(
            Return.order_id == order_id, Return.status.not_in([ReturnStatus.declined, ReturnStatus.rejected])
        )
    )
    units = Counter[int]()
    for line_id, quantity in rows:
        units[line_id] += quantity
    return dict(units)


def returnable_lines(session: Session, order: Order) -> list[tuple[LineItem, int]]:
    """Each line of an order with the units that may still be asked back (0 included)."""
    taken = units_in_returns(session, order.id)
    return [
        (
            line,
            returnable_quantity(
                quantity=line.quantity,
                fulfilled=line.fulfilled_quantity,
                refunded=line.refunded_quantity,
                in_returns=taken.get(line.id, 0),
            ),
        )
        for line in order.line_items
    ]


@dataclass(frozen=True, slots=True)
class RefundPreview:
    """What refunding a return would move: its lines' value, the fees kept, and the money returned."""

    value: int
    fee: int
    total: int


def refund_preview(session: Session, rma: Return) -> RefundPreview:
    """The money a refund of this return would return, as the return stands (fees set at inspection)."""
    items = {
        line.id: line for line in session.scalars(select(LineItem).where(LineItem.order_id == rma.order_id))
    }
    value = sum(line_refund_amount(items[x.line_item_id], x.quantity) for x in rma.lines)
    return RefundPreview(value=value, fee=rma.fee, total=value - rma.fee)
