"""Policy replay: what a proposed change of thresholds, rules or link types would do, before it is made.

Every customer of the shop is assessed under the thresholds in force and under the proposal, and
every open order's last screening decision is decided again from its stored reasons under the
proposed score thresholds. Proposed rules (a new or edited text, a rule turned on or off) are
compiled by the rules compiler and every open order (and, asked, every order of the last days) is
screened by the screening engine twice, as the backtest screens a past order (the clock and the
customer's history as at the order): with the rules in force and with the proposed ones. Proposed
link types rebuild the link clusters with the linking code's own union (nothing stored) and say
which customers a link would newly tie to a blocked customer (evasion) or free from one. The
customers and orders whose outcome would move are answered, ``from`` and ``to``, with counts per
move. Nothing is written.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storeguard.analytics.enums import AnalyticsError
from storeguard.core.clock import frozen, now
from storeguard.core.errors import Invalid
from storeguard.customers.actions import check_link_types
from storeguard.customers.clusters import clusters_by
from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import link_types as link_types_of
from storeguard.customers.models import Customer
from storeguard.lists.service import blocked_customers
from storeguard.orders.enums import OrderStatus
from storeguard.orders.models import Order
from storeguard.risk.policy import DEFAULT
from storeguard.risk.service import assess_shop
from storeguard.rules.service import ProposedRule, active_ruleset, proposed_ruleset
from storeguard.screening.engine import screen
from storeguard.screening.enums import Outcome, ReasonSource
from storeguard.screening.policy import Reason, decide
from storeguard.screening.service import latest_decisions, screening_settings
from storeguard.shops.service import get_shop

SCORE_STEPS = ("verify", "review", "block")
LONGEST_DAYS = 90  # past orders a rule replay may screen again besides the open ones
NOT_LINKED, LINKED = "not_linked", "linked_to_blocked"


@dataclass(frozen=True, slots=True)
class Move:
    """One customer's suggested segment, or one open order's decision, that would change."""

    kind: str  # "customer" (segment), "order" (score thresholds), "order_rules", "link" (evasion)
    id: int
    label: str
    before: str
    after: str
    customer_id: int | None = None  # an order's customer
    customer_label: str | None = None


@dataclass(slots=True)
class Replay:
    customers: int = 0  # assessed
    orders: int = 0  # open orders decided again
    moves: list[Move] = field(default_factory=list)
    rule_orders: int = 0  # orders screened again under the proposed rules
    clusters_before: int | None = None  # clusters of two or more, with the link types in force
    clusters_after: int | None = None  # ... and with the proposed ones
    customers_relinked: int = 0  # customers whose cluster would hold other customers

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
    rules: list[ProposedRule] | None = None,
    days: int = 0,
    link_types: list[str] | None = None,
) -> Replay:
    """Replay proposed thresholds, rules or link types over the shop's customers and orders; change nothing."""
    if not risk and not score_thresholds and not rules and link_types is None:
        raise Invalid(
            AnalyticsError.replay_change_required,
            "propose at least one change: risk thresholds, score thresholds, rules or link types",
            field="risk",
        )
    if not 0 <= days <= LONGEST_DAYS:
        raise Invalid(
            AnalyticsError.replay_value_invalid,
            f"days must be a whole number from 0 to {LONGEST_DAYS}",
            field="days",
        )
    result = Replay()
    if rules:
        _replay_rules(session, shop_id, rules, days, result)
    if link_types is not None:
        _replay_link_types(session, shop_id, link_types, result)
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


def _replay_rules(
    session: Session, shop_id: int, rules: list[ProposedRule], days: int, result: Replay
) -> None:
    """Screen the open orders (and the last ``days``' orders) with the rules in force and proposed."""
    proposed = proposed_ruleset(session, shop_id, rules, [f"rules.{i}" for i in range(len(rules))])
    current = active_ruleset(session, shop_id)
    scope = Order.status == OrderStatus.open
    if days:
        scope = or_(scope, Order.created_at >= now() - timedelta(days=days))
    orders = session.scalars(select(Order).where(Order.shop_id == shop_id, scope).order_by(Order.id)).all()
    result.rule_orders = len(orders)
    moved: list[tuple[Order, str, str]] = []
    for order in orders:
        # As the backtest screens a past order: the clock and the customer's history as at the order.
        with frozen(order.created_at):
            was = screen(session, order, ruleset=current, history_as_placed=True).decision
            would = screen(session, order, ruleset=proposed, history_as_placed=True).decision
        if was != would:
            moved.append((order, str(was), str(would)))
    labels = _customer_labels(
        session, sorted({o.customer_id for o, _, _ in moved if o.customer_id is not None})
    )
    result.moves += [
        Move(
            "order_rules",
            o.id,
            o.number or f"#{o.id}",
            was,
            would,
            o.customer_id,
            labels.get(o.customer_id, f"#{o.customer_id}") if o.customer_id is not None else None,
        )
        for o, was, would in moved
    ]


def _members(roots: Mapping[int, int]) -> dict[int, frozenset[int]]:
    by_root: dict[int, set[int]] = {}
    for cid, root in roots.items():
        by_root.setdefault(root, set()).add(cid)
    frozen_sets = {root: frozenset(ids) for root, ids in by_root.items()}
    return {cid: frozen_sets[root] for cid, root in roots.items()}


def _tied_to_a_block(members: Mapping[int, frozenset[int]], blocked: set[int]) -> set[int]:
    """Customers not blocked themselves whose cluster holds a blocked customer (screening stops them)."""
    return {cid for cid, group in members.items() if cid not in blocked and group & blocked}


def _replay_link_types(session: Session, shop_id: int, proposed_types: list[str], result: Replay) -> None:
    """Rebuild the clusters with the proposed link types and compare them with the clusters in force."""
    chosen = tuple(IdentifierType(t) for t in check_link_types(proposed_types))
    shop = get_shop(session, shop_id, field="shop_id")
    before = _members(clusters_by(session, shop_id, types=link_types_of(shop)))
    after = _members(clusters_by(session, shop_id, types=chosen))
    result.clusters_before = len({g for g in before.values() if len(g) > 1})
    result.clusters_after = len({g for g in after.values() if len(g) > 1})
    result.customers_relinked = sum(1 for cid in before if before[cid] != after[cid])
    blocked = blocked_customers(session, list(before))
    was, would = _tied_to_a_block(before, blocked), _tied_to_a_block(after, blocked)
    changed = sorted(was ^ would)
    labels = _customer_labels(session, changed)
    result.moves += [
        Move(
            "link",
            cid,
            labels.get(cid, f"#{cid}"),
            LINKED if cid in was else NOT_LINKED,
            LINKED if cid in would else NOT_LINKED,
        )
        for cid in changed
    ]
