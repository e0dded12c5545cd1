"""Policy replay: what a proposed change of risk or screening thresholds would do, before it is made.

Every customer of the shop is assessed under the thresholds in force and under the proposal, and
every open order's last screening decision is decided again from its stored reasons under the
proposed score thresholds; the customers and orders whose outcome would move are answered,
``from`` and ``to``, with counts per move. Nothing is written.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.analytics.enums import AnalyticsError
from storeguard.core.errors import Invalid
from storeguard.customers.models import Customer
from storeguard.orders.models import Order
from storeguard.risk.policy import DEFAULT
from storeguard.risk.service import assess_shop
from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.screening.policy import Reason, decide
from storeguard.screening.service import latest_decisions, screening_settings

SCORE_STEPS = ("verify", "review", "block")


@dataclass(frozen=True, slots=True)
class Move:
    """One customer's suggested segment, or one open order's decision, that would change."""

    kind: str  # "customer" or "order"
    id: int
    label: str
    before: str
    after: str


@dataclass(slots=True)
class Replay:
    customers: int = 0  # assessed
    orders: int = 0  # open orders decided again
    moves: list[Move] = field(default_factory=list)

    @property
    def transitions(self) -> dict[tuple[str, str, str], int]:
        """How many customers or orders make each move, by (kind, from, to)."""
        return dict(Counter((m.kind, m.before, m.after) for m in self.moves))

    @property
    def counts(self) -> dict[str, int]:
        """How many customers or orders make each move (``customer: neutral → watch``)."""
        return dict(Counter(f"{m.kind}: {m.before} → {m.after}" for m in self.moves))


def proposed_risk_thresholds(changes: Mapping[str, Any], base: Mapping[str, Any] = DEFAULT) -> dict[str, Any]:
    """Return ``base`` with the changed numbers in it; refuse a setting it has not or a bad value.

    Only numbers can be changed (a ratio stays within 0 to 1), so a proposal cannot change shape.
    """
    merged = copy.deepcopy(dict(base))

    def walk(target: dict[str, Any], given: Mapping[str, Any], path: str) -> None:
        for key, value in given.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in target:
                raise Invalid(AnalyticsError.replay_setting_unknown, f"no risk setting {where}", field=where)
            current = target[key]
            if isinstance(current, dict):
                if not isinstance(value, Mapping):
                    raise Invalid(AnalyticsError.replay_value_invalid, f"{where} takes settings", field=where)
                walk(current, value, where)
                continue
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise Invalid(
                    AnalyticsError.replay_setting_unknown, f"{where} cannot be replayed", field=where
                )
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            is_ratio = isinstance(current, float) and current <= 1
            if not is_number or value < 0 or (is_ratio and value > 1):
                limit = "from 0 to 1" if is_ratio else "0 or more"
                raise Invalid(
                    AnalyticsError.replay_value_invalid, f"{where} must be a number {limit}", field=where
                )
            target[key] = value

    walk(merged, changes, "risk")
    return merged


def proposed_score_thresholds(
    current: Mapping[str, int | None], changes: Mapping[str, Any]
) -> dict[str, int | None]:
    """Return the score thresholds with the changes in; a step may be turned off with null."""
    merged = dict(current)
    for step, value in changes.items():
        where = f"score_thresholds.{step}"
        if step not in SCORE_STEPS:
            raise Invalid(AnalyticsError.replay_setting_unknown, f"no score threshold {step}", field=where)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100
        ):
            raise Invalid(
                AnalyticsError.replay_value_invalid,
                f"{where} must be a whole number from 0 to 100",
                field=where,
            )
        merged[step] = value
    return merged


def _customer_labels(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Customer.id, Customer.first_name, Customer.last_name, Customer.email).where(
            Customer.id.in_(ids)
        )
    )
    return {cid: f"{first} {last}".strip() or email or f"#{cid}" for cid, first, last, email in rows}


def _reasons(stored: list[dict[str, Any]]) -> list[Reason]:
    return [
        Reason(
            code=r["code"],
            message=r.get("message", ""),
            source=ReasonSource(r["source"]),
            action=Outcome(r["action"]) if r.get("action") else None,
            weight=int(r.get("weight") or 0),
        )
        for r in stored
    ]


def replay_policy(
    session: Session,
    shop_id: int,
    *,
    risk: Mapping[str, Any] | None = None,
    score_thresholds: Mapping[str, Any] | None = None,
) -> Replay:
    """Replay proposed thresholds over the shop's customers and open orders; change nothing."""
    if not risk and not score_thresholds:
        raise Invalid(
            AnalyticsError.replay_change_required,
            "propose at least one change: risk thresholds or score thresholds",
            field="risk",
        )
    result = Replay()
    if risk:
        proposed = proposed_risk_thresholds(risk)
        before, after = assess_shop(session, shop_id, DEFAULT), assess_shop(session, shop_id, proposed)
        result.customers = len(before)
        moved = sorted(cid for cid in before if before[cid].segment != after[cid].segment)
        labels = _customer_labels(session, moved)
        result.moves += [
            Move(
                "customer", cid, labels.get(cid, f"#{cid}"), str(before[cid].segment), str(after[cid].segment)
            )
            for cid in moved
        ]
    if score_thresholds:
        settings, _ = screening_settings(session, shop_id)
        current = dict(settings["score_thresholds"])
        proposed_scores = proposed_score_thresholds(current, score_thresholds)
        orders = session.execute(
            select(Order.id, Order.number)
            .where(Order.shop_id == shop_id, Order.status == "open")
            .order_by(Order.id)
        ).all()
        decisions = latest_decisions(session, [oid for oid, _ in orders])
        result.orders = len(decisions)
        for oid, name in orders:
            decision = decisions.get(oid)
            if decision is None:
                continue
            was = decide(_reasons(decision.reasons), current).decision
            would = decide(_reasons(decision.reasons), proposed_scores).decision
            if was != would:
                result.moves.append(Move("order", oid, name or f"#{oid}", str(was), str(would)))
    return result
