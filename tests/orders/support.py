"""What the order tests share: a snapshot of everything an order action could change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.models import AuditEvent, OutboxMessage
from storeguard.orders.models import (
    CancellationRequest,
    Fulfillment,
    InventoryMovement,
    LineItem,
    Order,
    Refund,
    Transaction,
)
from storeguard.shops.models import Product


def world(session: Session) -> dict[str, Any]:
    """Return every row an order action may write, as plain values, read fresh from the database."""
    session.flush()
    session.expire_all()
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (
            Order,
            Transaction,
            Refund,
            Fulfillment,
            InventoryMovement,
            CancellationRequest,
            AuditEvent,
            OutboxMessage,
        )
    }
    orders = [
        (o.id, o.status, o.financial_status, o.fulfillment_status, o.cancel_reason)
        for o in session.scalars(select(Order).order_by(Order.id))
    ]
    lines = [
        (li.id, li.fulfilled_quantity, li.refunded_quantity, li.restocked_quantity)
        for li in session.scalars(select(LineItem).order_by(LineItem.id))
    ]
    fulfillments = [(f.id, f.state) for f in session.scalars(select(Fulfillment).order_by(Fulfillment.id))]
    stock = [(p.id, p.stock) for p in session.scalars(select(Product).order_by(Product.id))]
    return {"counts": counts, "orders": orders, "lines": lines, "fulfillments": fulfillments, "stock": stock}


def actions_of(session: Session, order_id: int) -> list[str]:
    """Return the audit actions recorded against an order, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "order", AuditEvent.subject_id == str(order_id))
            .order_by(AuditEvent.id)
        )
    )
