"""Velocity counts from the database: one indexed query per screening for every identifier and window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, case, func, insert, select
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.prepared import Driver, Prepared
from storeguard.screening.models import VelocityEvent
from storeguard.screening.policy import VELOCITY_KINDS, WINDOWS
from storeguard.screening.velocity import VelocityCounts, VelocityKeys, digest


def _counts_statement(keys: int) -> Select[Any]:
    """Count and sum per kind and window for ``keys`` identifier hashes, with bound window starts."""
    ev = VelocityEvent
    cols: list[Any] = [ev.kind]
    for w in WINDOWS:
        cols.append(func.sum(case((ev.at > bindparam(f"start_{w}", type_=ev.at.type), 1), else_=0)))
    for w in WINDOWS:
        cols.append(func.sum(case((ev.at > bindparam(f"start_{w}", type_=ev.at.type), ev.amount), else_=0)))
    # The key hashes the kind with the value, so one IN over the (shop, key, at) index finds them all.
    conds = [
        ev.shop_id == bindparam("shop_id", type_=BigInteger),
        ev.key.in_([bindparam(f"key_{i}", type_=ev.key.type) for i in range(keys)]),
        ev.at > bindparam("start_30d", type_=ev.at.type),
        ev.at < bindparam("at", type_=ev.at.type),
        # 0 when no order is left out: ids start at 1.
        ev.order_id != bindparam("exclude_order_id", type_=BigInteger),
    ]
    return select(*cols).where(*conds).group_by(ev.kind)


# Compiled once per number of keys (at most one per velocity kind): screening runs it on every order.
_COUNTS = Prepared(_counts_statement)
_STARTS = [(f"start_{w}", timedelta(seconds=s)) for w, s in WINDOWS.items()]
_KEY_NAMES = [f"key_{i}" for i in range(len(VELOCITY_KINDS))]


class SqlVelocity:
    """Counts rows of ``screening_velocity_events``, written when an order is accepted."""

    def counts(
        self,
        session: Session | Driver,
        shop_id: int,
        keys: VelocityKeys,
        *,
        at: datetime | None = None,
        exclude_order_id: int | None = None,
    ) -> VelocityCounts:
        """Count orders and sum amounts per identifier and window, strictly before ``at``."""
        result = VelocityCounts()
        runs = self.ahead(shop_id, keys, at=at or now(), exclude_order_id=exclude_order_id)
        if not runs:
            return result
        _, values, shape = runs[0]
        for row in _COUNTS.rows(session, values, shape):
            kind = row[0]
            for i, w in enumerate(WINDOWS):
                result.orders[(kind, w)] = int(row[1 + i] or 0)
                result.amounts[(kind, w)] = int(row[1 + len(WINDOWS) + i] or 0)
        return result

    def ahead(
        self, shop_id: int, keys: VelocityKeys, *, at: datetime, exclude_order_id: int | None = None
    ) -> list[tuple[Prepared, dict[str, Any], tuple[Any, ...]]]:
        """Return the statement ``counts`` runs for these keys, for ``Driver.ahead`` (none without keys)."""
        present = [digest(f"{k}:{v}") for k, v in keys.items() if v and k in VELOCITY_KINDS]
        if not present:
            return []
        values: dict[str, Any] = {name: at - span for name, span in _STARTS}
        values.update(zip(_KEY_NAMES, present, strict=False))  # one name per kind; fewer keys than kinds
        values.update(shop_id=shop_id, at=at, exclude_order_id=exclude_order_id or 0)
        return [(_COUNTS, values, (len(present),))]

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
        rows = event_rows(shop_id, keys, order_id=order_id, amount=amount, at=at or now())
        if rows:
            session.execute(insert(VelocityEvent), rows)


def event_rows(
    shop_id: int, keys: VelocityKeys, *, order_id: int, amount: int, at: datetime
) -> list[dict[str, Any]]:
    """Return the ``screening_velocity_events`` rows that count one order (bulk loads insert many)."""
    return [
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
