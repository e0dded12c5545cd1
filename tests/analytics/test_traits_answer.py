"""The traits report counted in one statement gives the answer the per-trait queries gave.

The reference below is the report as it was before it was made set-based (one grouped query per
trait, each scanning the period's orders and deciding every order's flag): kept here so the faster
statement is checked against it on a demo store, on both databases.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import String, and_, case, cast, distinct, func, select

from storeguard.analytics import service
from storeguard.analytics.policy import AGE_BANDS, band_label, rank_traits, trait_rows, value_bounds
from storeguard.analytics.service import (
    CAPTURES,
    TraitsReport,
    _band_case,
    _flag,
    _in_period,
    _time_to_block,
    flagged_customers,
    resolve_period,
)
from storeguard.core.clock import frozen
from storeguard.core.money import exponent
from storeguard.customers.models import Customer
from storeguard.demo.generator import DemoConfig
from storeguard.demo.loader import load_demo
from storeguard.lists.enums import BlockStatus
from storeguard.lists.models import CustomerBlock
from storeguard.orders.enums import TransactionKind
from storeguard.orders.models import Order, Transaction
from storeguard.risk.actions import recompute_risk
from storeguard.risk.enums import Segment
from storeguard.risk.models import CustomerRisk

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _count_by(session, period, value: Any, *joins: Any) -> dict[str, tuple[int, int]]:
    flag = _flag(Order.customer_id, period.shop_id)
    stmt = select(value, flag, func.count(distinct(Order.customer_id))).select_from(Order)
    for target, on in joins:
        stmt = stmt.join(target, on)
    stmt = stmt.where(*_in_period(period)).group_by(value, flag)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, flagged, n in session.execute(stmt):
        counts[str(key) if key not in (None, "") else "unknown"][0 if flagged else 1] += int(n)
    return {k: (g, r) for k, (g, r) in counts.items()}


def reference_traits(session, period) -> TraitsReport:
    sid = period.shop_id
    flag = _flag(Order.customer_id, sid)
    totals = dict(
        session.execute(
            select(flag, func.count(distinct(Order.customer_id))).where(*_in_period(period)).group_by(flag)
        ).all()
    )
    group_total, rest_total = int(totals.get(1, 0)), int(totals.get(0, 0))
    scale = 10 ** exponent(period.shop.currency)
    rows = []

    def add(trait: str, counts: dict[str, tuple[int, int]]) -> None:
        rows.extend(trait_rows(trait, counts, group_total, rest_total))

    add("country", _count_by(session, period, Order.shipping_address["country_code"].as_string()))
    add("channel", _count_by(session, period, Order.source))
    paid = Transaction.kind.in_([*CAPTURES, TransactionKind.authorization])
    add(
        "payment",
        _count_by(
            session, period, Transaction.gateway, (Transaction, and_(Transaction.order_id == Order.id, paid))
        ),
    )
    average = session.scalar(select(func.avg(Order.total)).where(*_in_period(period))) or 0
    bounds = value_bounds(float(average), scale)
    by_value = _count_by(session, period, _band_case(Order.total, bounds, scale))
    add("order_value", {band_label(int(k), bounds): v for k, v in by_value.items()})
    on_customer = (Customer, Customer.id == Order.customer_id)
    age = _band_case(Customer.created_at, AGE_BANDS, reverse_from=period.until)
    add(
        "account_age",
        {band_label(int(k), AGE_BANDS): v for k, v in _count_by(session, period, age, on_customer).items()},
    )
    linked_clusters = (
        select(Customer.cluster_id)
        .where(Customer.shop_id == sid, Customer.cluster_id.is_not(None))
        .group_by(Customer.cluster_id)
        .having(func.count() > 1)
    )
    linked = case((Customer.cluster_id.in_(linked_clusters), "yes"), else_="no")
    add("linked_accounts", {"yes": _count_by(session, period, linked, on_customer).get("yes", (0, 0))})
    ordered = select(Order.customer_id).where(*_in_period(period)).distinct()
    flagged = set(session.scalars(flagged_customers(sid)))
    findings: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for customer_id, found in session.execute(
        select(CustomerRisk.customer_id, CustomerRisk.findings).where(
            CustomerRisk.shop_id == sid,
            cast(CustomerRisk.findings, String) != "[]",
            CustomerRisk.customer_id.in_(ordered),
        )
    ):
        for kind in {f.get("type") for f in found or [] if f.get("type")}:
            findings[str(kind)][0 if customer_id in flagged else 1] += 1
    add("finding", {k: (g, r) for k, (g, r) in findings.items()})
    codes = session.execute(
        select(CustomerBlock.reason_code, func.count(distinct(CustomerBlock.customer_id)))
        .where(
            CustomerBlock.shop_id == sid,
            CustomerBlock.status == BlockStatus.active,
            CustomerBlock.customer_id.in_(ordered),
        )
        .group_by(CustomerBlock.reason_code)
    ).all()
    reason_codes = sorted(((str(c), int(n)) for c, n in codes), key=lambda r: (-r[1], r[0]))
    return TraitsReport(
        group_total, rest_total, rank_traits(rows), reason_codes, *_time_to_block(session, period)
    )


@pytest.fixture
def demo_store(session):
    """A demo year with risk assessed, two customers restricted and one order's country missing."""
    loaded = load_demo(session, DemoConfig(customers=90, orders=300, seed=11), now=NOW)
    with frozen(NOW):
        recompute_risk(session, shop_id=loaded.shop.id)
        latest = session.scalars(
            select(Order).where(Order.shop_id == loaded.shop.id).order_by(Order.created_at.desc())
        ).all()
        # The last two buyers restricted (so every period tested has flagged customers), and the
        # last order's country blank, which counts as unknown beside a missing one.
        for order in latest[:2]:
            risk = session.get(CustomerRisk, order.customer_id)
            risk.segment = Segment.restricted
        latest[0].shipping_address = {**(latest[0].shipping_address or {}), "country_code": ""}
        session.flush()
    return loaded.shop


@pytest.mark.parametrize("since", [None, date(2025, 3, 1), date(2026, 2, 1)])
def test_the_traits_report_counts_what_the_per_trait_queries_counted(session, demo_store, since) -> None:
    with frozen(NOW):
        period = resolve_period(session, demo_store.id, since, None)
        found = service.traits(session, period)
        expected = reference_traits(session, period)

    assert found == expected
    assert found.group_total > 0 and found.rest_total > 0
    assert {t.trait for t in found.traits} >= {"country", "channel", "payment", "order_value", "account_age"}


def test_a_period_without_orders_has_no_traits(session, demo_store) -> None:
    with frozen(NOW):
        period = resolve_period(session, demo_store.id, date(2020, 1, 1), date(2020, 1, 31))
        found = service.traits(session, period)

    assert found == reference_traits(session, period)
    assert (found.group_total, found.rest_total, found.reason_codes) == (0, 0, [])
    assert [(t.trait, t.value, t.group, t.rest) for t in found.traits] == [("linked_accounts", "yes", 0, 0)]

