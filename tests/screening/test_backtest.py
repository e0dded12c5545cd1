"""Backtest: orders and revenue a draft rule would have stopped, and how many were good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.screening.backtest import backtest
from tests.screening.support import make_store, new_customer, past_order

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _history(session: Session):  # noqa: ANN202
    store = make_store(session)
    loyal = new_customer(session, store)
    fraudster = new_customer(session, store)
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    # a loyal customer: a small first order, then a big one (good)
    past_order(session, store, loyal, lines=[(store.shirt, 1)], created_at=at(1))
    past_order(session, store, loyal, lines=[(store.sneaker, 1)], created_at=at(2))
    # a fraudster: a big first order that drew a chargeback, and another cancelled as fraud
    past_order(session, store, fraudster, lines=[(store.sneaker, 1)], created_at=at(3), tags=["chargeback"])
    past_order(
        session,
        store,
        None,
        email="x@mailinator.com",
        lines=[(store.sneaker, 1)],
        created_at=at(4),
        status="cancelled",
        cancel_reason="fraud",
    )
    # a big first order from a good new customer, outside the range
    past_order(session, store, new_customer(session, store), lines=[(store.sneaker, 1)], created_at=at(40))
    return store


def test_backtest_counts_stopped_orders_revenue_and_good_customers_stopped(session: Session) -> None:
    store = _history(session)
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["block if order.total > 1000"],
        date_from=T0,
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    assert result["path"] == "columnar"
    assert (result["orders"], result["stopped"], result["stopped_bad"], result["stopped_good"]) == (
        4,
        3,
        2,
        1,
    )
    assert (result["stopped_revenue"], result["stopped_good_revenue"]) == ("7500.00", "2500.00")
    assert (result["good_customers_stopped"], result["bad_total"], result["bad_caught_share"]) == (1, 2, 1.0)
    assert result["by_action"] == {"block": 3}


def test_backtest_uses_the_history_as_it_stood_at_each_order(session: Session) -> None:
    store = _history(session)
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["review if order.is_first_order and order.has_limited_edition"],
        date_from=T0,
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    # the loyal customer's sneaker was their second order: not stopped
    assert (result["stopped"], result["stopped_bad"], result["stopped_good"]) == (2, 2, 0)


def test_backtest_of_a_rule_set_takes_the_strongest_action(session: Session) -> None:
    store = _history(session)
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["verify if order.total > 1000", "block if email.is_disposable"],
        date_from=T0,
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    assert result["by_action"] == {"verify": 2, "block": 1}


def test_backtest_full_path_builds_facts_with_screening(session: Session) -> None:
    store = _history(session)
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["block if customer.chargebacks > 0"],
        date_from=T0,
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    assert result["path"] == "full"
    assert result["orders"] == 4


def test_backtest_refuses_a_bad_rule_naming_it(session: Session) -> None:
    store = _history(session)
    with pytest.raises(Invalid) as err:
        backtest(
            session,
            shop_id=store.shop.id,
            sources=["block if order.totl > 1"],
            date_from=T0,
            date_to=T0 + timedelta(days=1),
        )
    assert (err.value.code, err.value.field) == ("invalid_rule", "rules.0")
