"""Small builders shared by the list tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.customers.identifiers import order_match_keys, record_order_identifiers
from storeguard.lists.actions import create_entry
from storeguard.lists.matching import MatchResult, match
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.orders.models import Order

OWNER = Actor("api_key", "owner-key", Role.owner)
AGENT = Actor("api_key", "agent-key", Role.agent)
VIEWER = Actor("api_key", "viewer-key", Role.viewer)


def block_entry(session: Session, shop_id: int, type_: str, value: Any, **kw: Any) -> Any:
    """Make a block entry with a reason and a note as evidence."""
    kw.setdefault("reason_code", "fraud")
    kw.setdefault("evidence", {"notes": ["seen in test"]})
    entry, _ = create_entry(
        session, shop_id=shop_id, type=type_, value=value, actor=kw.pop("actor", AGENT), **kw
    )
    return entry


def arrive(session: Session, order: Order) -> Order:
    """Record an order's identifiers as the ingest would."""
    record_order_identifiers(session, order)
    return order


def match_order(session: Session, order: Order, **kw: Any) -> MatchResult:
    """Match a stored order by its keys and customer."""
    keys = order_match_keys(order, default_region="NO")
    return match(session, shop_id=order.shop_id, identifiers=keys, customer_id=order.customer_id, **kw)


def entry_and_block_counts(session: Session) -> tuple[int, int]:
    """Count list entries and customer blocks (a refusal leaves both as they were)."""
    return (
        session.scalar(select(func.count()).select_from(ListEntry)),
        session.scalar(select(func.count()).select_from(CustomerBlock)),
    )
