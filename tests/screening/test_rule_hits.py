"""Screening counts a hit for each rule a recorded decision matched; a backtest counts nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.rules.actions import create_rule
from storeguard.rules.models import RuleHit
from storeguard.rules.service import clear_cache
from storeguard.screening.actions import screen_existing_order
from storeguard.screening.backtest import backtest
from storeguard.screening.velocity_sql import SqlVelocity
from tests.screening.support import OWNER, Store, make_store, new_customer, past_order

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def _hits(session: Session) -> set[tuple[int, date, int]]:
    return {(h.rule_id, h.day, h.hits) for h in session.scalars(select(RuleHit))}


def _rules(session: Session, store: Store) -> tuple[int, int, int]:
    """Two rules a shirt order (300 NOK) matches and one it does not."""
    ids = tuple(
        create_rule(session, shop_id=store.shop.id, name=name, source=source, actor=OWNER).id
        for name, source in (
            ("Over 100", "review if order.total > 100"),
            ("Over 200", "review if order.total > 200"),
            ("Limited drops", "verify if order.has_limited_edition"),
        )
    )
    clear_cache()
    return ids  # type: ignore[return-value]


def test_a_recorded_decision_counts_one_hit_for_each_rule_it_matched(session: Session) -> None:
    store = make_store(session)
    over_100, over_200, _limited = _rules(session, store)
    order = past_order(session, store, new_customer(session, store), lines=[(store.shirt, 1)])

    with frozen(AT):
        screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())

    assert _hits(session) == {(over_100, date(2026, 3, 1), 1), (over_200, date(2026, 3, 1), 1)}


def test_each_recorded_decision_adds_a_hit_on_its_utc_day(session: Session) -> None:
    store = make_store(session)
    over_100, over_200, _limited = _rules(session, store)
    order = past_order(session, store, new_customer(session, store), lines=[(store.shirt, 1)])

    for at in (AT, AT + timedelta(minutes=10), AT + timedelta(minutes=40)):
        with frozen(at):
            screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())

    assert _hits(session) == {
        (over_100, date(2026, 3, 1), 2),
        (over_200, date(2026, 3, 1), 2),
        (over_100, date(2026, 3, 2), 1),
        (over_200, date(2026, 3, 2), 1),
    }


def test_a_decision_that_matched_no_rule_counts_nothing(session: Session) -> None:
    store = make_store(session)
    create_rule(
        session, shop_id=store.shop.id, name="Huge", source="review if order.total > 100000", actor=OWNER
    )
    clear_cache()
    order = past_order(session, store, new_customer(session, store), lines=[(store.shirt, 1)])

    screen_existing_order(session, order_id=order.id, actor=OWNER, velocity=SqlVelocity())

    assert _hits(session) == set()


def test_a_backtest_counts_no_hits(session: Session) -> None:
    store = make_store(session)
    _rules(session, store)
    for day in (1, 2):
        past_order(session, store, new_customer(session, store), created_at=AT - timedelta(days=day))

    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["review if order.total > 100"],
        date_from=AT - timedelta(days=10),
        date_to=AT,
        full=True,
    )

    assert result.as_dict()["stopped"] == 2
    assert _hits(session) == set()
