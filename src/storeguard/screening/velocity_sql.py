"""Velocity counts from the database: one indexed query per screening for every identifier and window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.screening.models import VelocityEvent
from storeguard.screening.policy import AMOUNT_KINDS, AMOUNT_WINDOWS, VELOCITY_KINDS, WINDOWS
from storeguard.screening.velocity import VelocityCounts, VelocityKeys, digest


class SqlVelocity:
    """Counts rows of ``screening_velocity_events``, written when an order is accepted."""

    def counts(
        self,
        session: Session,
        shop_id: int,
        keys: VelocityKeys,
        *,
        at: datetime | None = None,
        exclude_order_id: int | None = None,
    ) -> VelocityCounts:
        """Count orders and sum amounts per identifier and window, strictly before ``at``."""
        at = at or now()
        present = {digest(f"{k}:{v}"): k for k, v in keys.items() if v and k in VELOCITY_KINDS}
        result = VelocityCounts()
        if not present:
            return result
        ev = VelocityEvent
        starts = {w: at - timedelta(seconds=s) for w, s in WINDOWS.items()}
        cols = [ev.kind]
        for w in WINDOWS:
            cols.append(func.sum(case((ev.at > starts[w], 1), else_=0)))
        for w in AMOUNT_WINDOWS:
            cols.append(func.sum(case((ev.at > starts[w], ev.amount), else_=0)))
        # The key hashes the kind with the value, so one IN over the (shop, key, at) index finds them all.
        conds = [ev.shop_id == shop_id, ev.key.in_(list(present)), ev.at > starts["30d"], ev.at < at]
        if exclude_order_id is not None:
            conds.append(ev.order_id != exclude_order_id)
        for row in session.execute(select(*cols).where(*conds).group_by(ev.kind)):
            kind = row[0]
            for i, w in enumerate(WINDOWS):
                result.orders[(kind, w)] = int(row[1 + i] or 0)
            if kind in AMOUNT_KINDS:
                for j, w in enumerate(AMOUNT_WINDOWS):
                    result.amounts[(kind, w)] = int(row[1 + len(WINDOWS) + j] or 0)
        return result

    def record(
        self,
        session: Session,
        shop_id: int,
        keys: VelocityKeys,
        *,
        order_id: int,
        amount: int,
        at: datetime | None = None,
    ) -> None:
        """Write one row per identifier in the caller's transaction (a rollback takes them back)."""
        at = at or now()
        rows = [
            {
                "shop_id": shop_id,
                "kind": k,
                "key": digest(f"{k}:{v}"),
                "order_id": order_id,
                "amount": amount,
                "at": at,
            }
            for k, v in keys.items()
            if v and k in VELOCITY_KINDS
        ]
        if rows:
            session.execute(insert(VelocityEvent), rows)
