"""Backtest: orders and revenue a draft rule would have stopped, and how many were good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.orders.models import Refund, RefundLine
from storeguard.rules.nodes import Node, Rule, unparse
from storeguard.screening.backtest import backtest
from tests.factories import make_dispute
from tests.rules.strategies import sql_conditions
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
    assert (result["stopped_revenue"], result["stopped_good_revenue"]) == (750_000, 250_000)
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


def test_a_backtest_of_linked_facts_runs_columnar_and_the_full_path_only_when_asked(session: Session) -> None:
    store = _history(session)
    paths = [
        backtest(
            session,
            shop_id=store.shop.id,
            sources=["block if linked.blocked_customers > 0"],
            date_from=T0,
            date_to=T0 + timedelta(days=30),
            full=full,
        ).as_dict()
        for full in (False, True)
    ]
    assert [(r["path"], r["orders"]) for r in paths] == [("columnar", 4), ("full", 4)]


def _month(session: Session, store, source: str, **kw: bool) -> dict:  # noqa: ANN001
    """Backtest one rule over the first 30 days."""
    return backtest(
        session, shop_id=store.shop.id, sources=[source], date_from=T0, date_to=T0 + timedelta(days=30), **kw
    ).as_dict()


@pytest.mark.parametrize(
    ("pushdown", "full"), [(True, False), (False, False), (True, True)], ids=["pushdown", "python", "full"]
)
def test_backtest_counts_a_disputed_order_as_bad(session: Session, pushdown: bool, full: bool) -> None:
    store = make_store(session)
    disputed = past_order(session, store, new_customer(session, store), created_at=T0 + timedelta(days=1))
    make_dispute(session, disputed, status="won")  # no chargeback tag
    inquired = past_order(session, store, new_customer(session, store), created_at=T0 + timedelta(days=2))
    make_dispute(session, inquired, status="warning_closed")
    result = _month(session, store, "block if order.total > 0", pushdown=pushdown, full=full)
    assert (result["stopped"], result["bad_total"], result["stopped_bad"], result["stopped_good"]) == (
        2,
        1,
        1,
        1,
    )


def _later_history(session: Session):  # noqa: ANN202
    """Customers whose first orders drew a chargeback, a dispute or a return only after later orders."""
    store = make_store(session)
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    # the second order is tagged chargeback (a tag has no time: it counts from its order on)
    tagged = new_customer(session, store)
    past_order(session, store, tagged, created_at=at(1))
    past_order(session, store, tagged, created_at=at(5), tags=["chargeback"])
    past_order(session, store, tagged, created_at=at(10))
    # the first order is disputed on day 8: between the second order and the third
    disputed = new_customer(session, store)
    first = past_order(session, store, disputed, created_at=at(2))
    make_dispute(session, first, status="lost", opened_at=at(8))
    past_order(session, store, disputed, created_at=at(6))
    past_order(session, store, disputed, created_at=at(9))
    # the first order's shirt comes back on day 7: after the second order, before the third
    returner = new_customer(session, store)
    bought = past_order(session, store, returner, created_at=at(3))
    past_order(session, store, returner, created_at=at(4))
    past_order(session, store, returner, created_at=at(11))
    line = bought.line_items[0]
    line.refunded_quantity = line.restocked_quantity = 1
    refund = Refund(
        order_id=bought.id,
        amount=line.unit_price,
        currency=bought.currency,
        actor="test",
        expected_arrival_from=at(7).date(),
        expected_arrival_to=at(14).date(),
        created_at=at(7),
    )
    refund.lines = [
        RefundLine(line_item_id=line.id, quantity=1, amount=line.unit_price, restock=True, returned=True)
    ]
    session.add(refund)
    # two orders in the same instant: the one stored first comes first, as the columnar path counts
    twins = new_customer(session, store)
    past_order(session, store, twins, created_at=at(12))
    past_order(session, store, twins, created_at=at(12))
    session.flush()
    return store


def _stopped(session: Session, store, source: str, path: str) -> int:  # noqa: ANN001
    result = _month(session, store, source, full=path == "full")
    assert result["path"] == path
    return result["stopped"]


BOTH = ("full", "columnar")


@pytest.mark.parametrize(
    ("source", "stopped", "paths"),
    [
        # the first orders, the first twin included
        ("block if order.is_first_order", 4, BOTH),
        ("block if customer.orders_count >= 2", 3, BOTH),
        ("block if customer.total_spent >= 600", 3, BOTH),
        # the tagged customer's third order and the disputed customer's third (day 9, after day 8)
        ("block if customer.chargebacks > 0", 2, BOTH),
        # only the returner's third order (day 11): the refund on day 7 came after the second
        ("block if customer.refunds_count > 0", 1, BOTH),
        ("block if customer.return_ratio > 0", 1, BOTH),
    ],
)
def test_backtest_sees_the_customer_history_as_it_stood_at_each_order_on_every_path(
    session: Session, source: str, stopped: int, paths: tuple[str, ...]
) -> None:
    store = _later_history(session)
    answers = {path: _stopped(session, store, source, path) for path in paths}
    assert answers == dict.fromkeys(paths, stopped)


def test_backtest_refuses_a_bad_rule_naming_it(session: Session) -> None:
    store = _history(session)
    with pytest.raises(Invalid) as err:
        backtest(
            session,
            shop_id=store.shop.id,
            sources=["block if order.total > 1", "block if order.totl > 1"],
            date_from=T0,
            date_to=T0 + timedelta(days=1),
        )
    assert (err.value.code, err.value.field) == ("unknown_field", "rules.1")
    assert err.value.extra["position"] == {"line": 1, "column": 10, "offset": 9}


def test_backtest_counts_the_history_before_the_range(session: Session) -> None:
    store = _history(session)
    # from day 2: the loyal customer's first order (a 300.00 shirt, day 1) is history
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["block if customer.orders_count == 1 and customer.total_spent >= 300"],
        date_from=T0 + timedelta(days=2),
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    assert (result["orders"], result["stopped"], result["stopped_good"]) == (3, 1, 1)
    assert result["stopped_revenue"] == 250_000


def test_backtest_line_facts_of_orders_without_lines_are_zero_as_screening_says(session: Session) -> None:
    store = make_store(session)
    order = past_order(session, store, new_customer(session, store), created_at=T0 + timedelta(days=1))
    order.line_items.clear()
    session.flush()
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=["block if order.item_count == 0"],
        date_from=T0,
        date_to=T0 + timedelta(days=30),
    ).as_dict()
    assert result["stopped"] == 1


def _mixed(session: Session):  # noqa: ANN202
    """The history, plus orders with nulls: no customer, no email, no address; a cancelled one; a POS sale."""
    store = _history(session)
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    past_order(session, store, None, shipping_address=None, billing_address=None, created_at=at(5))
    repeat = new_customer(session, store)
    past_order(session, store, repeat, lines=[(store.shirt, 2)], created_at=at(6), status="cancelled")
    past_order(session, store, repeat, lines=[(store.sneaker, 1)], created_at=at(7), source="pos")
    past_order(session, store, repeat, lines=[(store.shirt, 1)], shipping=4900, created_at=at(8))
    return store


PUSHDOWN_CASES = [
    ["block if order.total > 1000"],
    ["review if order.total > 1000 and order.is_first_order"],
    ["block if order.total >= 2500 or order.currency == 'USD'"],
    ["verify if not (order.total < 300) and email.domain == 'mailinator.com'"],
    ["block if order.shipping_country is null and order.total > 100"],
    ["allow if order.total > 1", "review if order.subtotal in [300, 2500]"],
    ["block if customer.total_spent > 100 or order.total == 2500", "verify if order.item_count > 1"],
    ["review if order.source != 'web' and customer.orders_count >= 1"],
    ["block if order.shipping > 0 and not order.is_first_order"],
    ["block if order.total is null"],
    ["block if 1 > 0"],
]


def _answer(session: Session, store, sources: list[str], *, pushdown: bool) -> dict:  # noqa: ANN001
    result = backtest(
        session,
        shop_id=store.shop.id,
        sources=sources,
        date_from=T0 + timedelta(days=2),
        date_to=T0 + timedelta(days=30),
        pushdown=pushdown,
    ).as_dict()
    result.pop("seconds")
    return result


@pytest.mark.parametrize("sources", PUSHDOWN_CASES, ids=lambda s: " / ".join(s))
def test_backtest_pushdown_gives_the_answer_of_the_python_path(session: Session, sources: list[str]) -> None:
    store = _mixed(session)
    assert _answer(session, store, sources, pushdown=True) == _answer(session, store, sources, pushdown=False)


@given(
    st.lists(st.tuples(st.sampled_from(["block", "review", "allow"]), sql_conditions), min_size=1, max_size=2)
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_backtest_pushdown_gives_the_answer_of_the_python_path_for_any_rule(
    session: Session, rules: list[tuple[str, Node]]
) -> None:
    sources = [unparse(Rule(action, condition)) for action, condition in rules]
    store = _store_once(session)
    try:
        expected = _answer(session, store, sources, pushdown=False)
    except Invalid:
        assume(False)
    assert _answer(session, store, sources, pushdown=True) == expected


def _store_once(session: Session):  # noqa: ANN202
    """The mixed store, made on the first example of a property test and kept for the others."""
    store = session.info.get("backtest_store")
    if store is None:
        store = session.info["backtest_store"] = _mixed(session)
    return store
