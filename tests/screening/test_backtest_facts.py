"""The backtest's columnar path gives every order the facts full screening gives it, family by family."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.identifiers import identifiers_of_order
from storeguard.orders.models import Order, Refund, RefundLine
from storeguard.risk.enums import FindingType
from storeguard.risk.models import CustomerRisk
from storeguard.rules import compile_rule
from storeguard.rules.facts import FACTS
from storeguard.rules.service import resolver_for
from storeguard.screening.backtest import COLUMNAR_FACTS, _columnar, _full, _Tally, backtest
from storeguard.screening.backtest_history import naive_utc
from storeguard.screening.backtest_profile import Profiles
from storeguard.screening.engine import velocity_keys
from storeguard.screening.velocity_sql import SqlVelocity
from tests.factories import make_dispute
from tests.screening.support import ADDRESS as ADDRESS_NO
from tests.screening.support import block_customer, make_store, new_customer, past_order

T0 = datetime(2025, 1, 1, tzinfo=UTC)
FROM, TO = T0 + timedelta(days=2), T0 + timedelta(days=40)

FAMILIES = {
    "history": [
        "customer.orders_count",
        "customer.total_spent",
        "customer.cancellations",
        "order.is_first_order",
    ],
    "recorded": [
        "customer.refunds_count",
        "customer.refund_ratio",
        "customer.return_ratio",
        "customer.chargebacks",
    ],
    "account": ["customer.account_age_days", "customer.is_disabled", "customer.platform_account_state"],
    "lookups": ["order.ip_country", "phone.country"],
    "lines": ["order.lines", "order.line_count", "order.tags"],
}


def _refund(session: Session, order, at: datetime, *, returned: bool, units: int = 1) -> None:  # noqa: ANN001
    line = order.line_items[0]
    refund = Refund(
        order_id=order.id,
        amount=line.unit_price * units,
        currency=order.currency,
        actor="test",
        expected_arrival_from=at.date(),
        expected_arrival_to=at.date(),
        created_at=at,
    )
    refund.lines = [
        RefundLine(
            line_item_id=line.id,
            quantity=units,
            amount=line.unit_price * units,
            restock=returned,
            returned=returned,
        )
    ]
    session.add(refund)


def _columnar_and_full(session: Session, shop_id: int, source: str) -> list[dict]:
    """The backtest's answer for one rule on the columnar path, then on full screening."""
    return [
        backtest(session, shop_id=shop_id, sources=[source], date_from=FROM, date_to=TO, full=full).as_dict()
        for full in (False, True)
    ]


def _store(session: Session):  # noqa: ANN202
    """Customers whose refunds, returns, disputes, tags and cancellations come before, between and after orders."""
    store = make_store(session)
    at = lambda d: T0 + timedelta(days=d)  # noqa: E731
    # history before the range, a cancellation, a refund (money only) and a return recorded mid-range
    regular = new_customer(session, store, created_at=at(-30), platform_account_state="enabled")
    first = past_order(
        session, store, regular, lines=[(store.shirt, 3)], created_at=at(1), phone="+4791234567"
    )
    past_order(session, store, regular, created_at=at(3), status="cancelled")
    second = past_order(session, store, regular, lines=[(store.sneaker, 1)], created_at=at(4))
    _refund(session, first, at(5), returned=False)
    _refund(session, first, at(9), returned=True, units=2)
    _refund(session, second, at(9), returned=True)
    past_order(session, store, regular, created_at=at(6), browser_ip="8.8.8.8")
    past_order(session, store, regular, created_at=at(10), phone="+12025550143")
    # a tagged order and a disputed one (opened later), a refund on a cancelled order (never counted)
    tagged = new_customer(
        session, store, created_at=at(8), state="disabled", platform_account_state="disabled"
    )
    past_order(session, store, tagged, created_at=at(2))
    past_order(session, store, tagged, created_at=at(5), tags=["chargeback"])
    disputed = past_order(session, store, tagged, created_at=at(7))
    make_dispute(session, disputed, status="lost", opened_at=at(12))
    make_dispute(session, disputed, status="won", opened_at=at(11))
    cancelled = past_order(session, store, tagged, created_at=at(8), status="cancelled")
    _refund(session, cancelled, at(8), returned=True)
    past_order(session, store, tagged, created_at=at(11))
    past_order(session, store, tagged, created_at=at(13))
    # an inquiry is no chargeback; a guest has no account; two orders in one instant
    asked = new_customer(session, store)
    inquired = past_order(session, store, asked, created_at=at(3))
    make_dispute(session, inquired, status="warning_closed", opened_at=at(4))
    past_order(session, store, asked, created_at=at(6))
    past_order(session, store, None, created_at=at(6), phone="91234567")
    past_order(session, store, None, lines=[(store.shirt, 2), (store.sneaker, 1)], created_at=at(14))
    twins = new_customer(session, store)
    one = past_order(session, store, twins, created_at=at(12))
    _refund(session, one, at(12), returned=True)
    past_order(session, store, twins, created_at=at(12))
    session.flush()
    return store


def _facts(session: Session, store, names: list[str], *, full: bool) -> dict[int, dict[str, Any]]:  # noqa: ANN001
    rule = compile_rule(f"block if {names[0]} == {names[0]}", FACTS, resolver_for(session, store.shop.id))
    # Every fact of the family is read, whatever the rule names.
    object.__setattr__(rule, "fields_used", frozenset(names))
    rows = (
        _full(session, store.shop, FROM, TO, _Tally())
        if full
        else _columnar(session, store.shop, [rule], FROM, TO, _Tally(), pushdown=False, with_facts=True)
    )
    return {order_id: {n: facts[n] for n in names} for order_id, _, _, facts in rows}


@pytest.mark.parametrize("family", FAMILIES)
def test_columnar_facts_equal_full_screening_on_every_order(session: Session, family: str) -> None:
    store = _store(session)
    names = FAMILIES[family]
    columnar = _facts(session, store, names, full=False)
    assert len(columnar) == 16
    assert columnar == _facts(session, store, names, full=True)


def _on_day(session: Session, store, day: int) -> int:  # noqa: ANN001
    """The id of the one order placed on that day, by a customer with an account."""
    (order_id,) = session.scalars(
        select(Order.id).where(
            Order.shop_id == store.shop.id,
            Order.created_at == T0 + timedelta(days=day),
            Order.customer_id.is_not(None),
        )
    )
    return order_id


def test_recorded_history_counts_refunds_and_returns_recorded_before_the_order(session: Session) -> None:
    store = _store(session)
    seen = _facts(session, store, FAMILIES["recorded"], full=False)
    # day 10: three refunds (3,400.00 of 3,700.00 spent), three units back of five bought
    assert seen[_on_day(session, store, 10)] == {
        "customer.refunds_count": 3,
        "customer.refund_ratio": 0.9189,
        "customer.return_ratio": 0.6,
        "customer.chargebacks": 0,
    }
    # day 4: the first order's refund came on day 5, after it
    assert seen[_on_day(session, store, 4)] == {
        "customer.refunds_count": 0,
        "customer.refund_ratio": 0.0,
        "customer.return_ratio": 0.0,
        "customer.chargebacks": 0,
    }


def test_recorded_history_counts_a_tag_at_once_and_a_dispute_once_opened(session: Session) -> None:
    store = _store(session)
    seen = _facts(session, store, FAMILIES["recorded"], full=False)
    # day 7: the tagged order of day 5; day 11: the dispute (first opened on day 11) not yet; day 13: both
    assert [seen[_on_day(session, store, d)]["customer.chargebacks"] for d in (7, 11, 13)] == [1, 1, 2]


@pytest.mark.parametrize(
    "source",
    [
        "block if customer.refunds_count > 0",
        "block if customer.return_ratio > 0.5",
        "block if customer.chargebacks >= 1",
        "review if customer.cancellations > 0 and customer.account_age_days > 20",
        "block if customer.is_disabled or customer.platform_account_state == 'disabled'",
        "verify if phone.country != order.shipping_country",
        "review if order.lines.any(line.tags.contains('drop') and line.quantity >= 1)",
        "block if order.lines.count(line.price >= 300) >= 2",
    ],
)
def test_a_backtest_of_customer_facts_runs_columnar_with_the_answer_of_full_screening(
    session: Session, source: str
) -> None:
    answers = _columnar_and_full(session, _store(session).shop.id, source)
    assert [a.pop("path") for a in answers] == ["columnar", "full"]
    for a in answers:
        a.pop("seconds")
    assert answers[0] == answers[1]


def test_every_catalogue_fact_backtests_on_the_columnar_path() -> None:
    assert set(FACTS) - COLUMNAR_FACTS == set()


PROFILE_FAMILIES = {
    "risk": ["customer.risk_score", "customer.findings"]
    + [f"customer.finding_{t.value}" for t in FindingType],
    "segment": ["customer.segment"],
    "linked": ["linked.customers", "linked.blocked_customers"],
    "signals": sorted(n for n in FACTS if n.startswith("signals.")),
    "velocity": sorted(n for n in FACTS if n.startswith("velocity.")),
}
ELSEWHERE = {
    "name": "Ola Svensson",
    "address1": "Drottninggatan 5",
    "city": "Stockholm",
    "zip": "11151",
    "country_code": "SE",
}


def _recorded(session: Session, store, order) -> None:  # noqa: ANN001
    """Count the order in velocity, as accepting it does."""
    keys = velocity_keys(identifiers_of_order(order, default_region="NO"))
    SqlVelocity().record(
        session, store.shop.id, keys, order_id=order.id, amount=order.total, at=order.created_at
    )


def _profile_store(session: Session):  # noqa: ANN202
    """Customers assessed by risk, blocked, linked to a blocked one, fast repeat buyers and guests."""
    store = make_store(session)
    at = lambda d, h=0.0: T0 + timedelta(days=d, hours=h)  # noqa: E731
    assessed = new_customer(session, store, email="fast@example.com")
    session.add(
        CustomerRisk(
            customer_id=assessed.id,
            shop_id=store.shop.id,
            score=62,
            suggested="watch",
            segment="watch",
            findings=[{"type": "bracketing", "confidence": 0.9}],
            finding_types="bracketing",
            contributions=[],
            model_version="test",
        )
    )
    # the same email four times within an hour, then a day and a week later: the windows differ
    for hours in (0.0, 0.2, 0.5, 0.9, 25.0, 24 * 8):
        order = past_order(session, store, assessed, created_at=at(3, hours))
        _recorded(session, store, order)
    # a blocked customer, and a second account sharing their phone: linked to a blocked customer
    blocked = new_customer(session, store)
    evidence = past_order(session, store, blocked, created_at=at(1), phone="+4791234567")
    block_customer(session, store, blocked, evidence)
    past_order(session, store, blocked, created_at=at(5), phone="+4791234567")
    second = new_customer(session, store, email="two@example.com")
    for day in (6, 9):
        order = past_order(session, store, second, created_at=at(day), phone="+4791234567")
        _recorded(session, store, order)
    # a regular buyer linked to no one by phone; a different address, billed in Sweden, from a US IP
    regular = new_customer(session, store, email="regular@example.com")
    for day in (4, 7, 8, 10, 12):
        order = past_order(
            session,
            store,
            regular,
            created_at=at(day),
            shipping_address=ELSEWHERE,
            billing_address=ADDRESS_NO if day % 2 else ELSEWHERE,
            browser_ip="8.8.8.8",
        )
        _recorded(session, store, order)
    past_order(session, store, regular, created_at=at(11), status="cancelled", lines=[(store.sneaker, 1)])
    # guests: a disposable address, a first order of high value
    past_order(session, store, None, created_at=at(6), email="x@mailinator.com")
    past_order(session, store, None, created_at=at(13), lines=[(store.sneaker, 2)], email="big@example.com")
    session.flush()
    return store


@pytest.mark.parametrize("family", PROFILE_FAMILIES)
def test_profile_facts_on_the_columnar_path_equal_full_screening_on_every_order(
    session: Session, family: str
) -> None:
    store = _profile_store(session)
    names = PROFILE_FAMILIES[family]
    columnar = _facts(session, store, names, full=False)
    assert len(columnar) == 17
    assert columnar == _facts(session, store, names, full=True)
    # the data makes every family vary from order to order
    assert len({tuple(map(repr, facts.values())) for facts in columnar.values()}) > 1


@pytest.mark.parametrize(
    "source",
    [
        "block if linked.blocked_customers > 0",
        "review if customer.segment == 'watch' or customer.finding_bracketing",
        "verify if velocity.orders_per_email_1h >= 3 or velocity.amount_per_ip_30d > 1000",
        "review if signals.country_mismatch or signals.shared_shipping_address and order.total > 500",
        # the benchmark's rule: velocity, links, the segment and a signal together
        "review if velocity.orders_per_email_24h > 2 or linked.blocked_customers > 0"
        " or customer.segment == 'watch' and signals.has_chargebacks",
    ],
)
def test_a_backtest_of_profile_facts_runs_columnar_with_the_answer_of_full_screening(
    session: Session, source: str
) -> None:
    store = _profile_store(session)
    answers = [
        backtest(
            session, shop_id=store.shop.id, sources=[source], date_from=FROM, date_to=TO, full=full
        ).as_dict()
        for full in (False, True)
    ]
    assert [a.pop("path") for a in answers] == ["columnar", "full"]
    for a in answers:
        a.pop("seconds")
    assert answers[0]["stopped"] > 0
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    "source",
    [
        "verify if velocity.orders_per_email_24h > 2",
        "review if customer.segment == 'watch'",
    ],
)
def test_a_backtest_of_one_profile_fact_alone_has_the_answer_of_full_screening(
    session: Session, source: str
) -> None:
    answers = _columnar_and_full(session, _profile_store(session).shop.id, source)
    for a in answers:
        a.pop("path"), a.pop("seconds")
    assert answers[0]["stopped"] > 0
    assert answers[0] == answers[1]


def test_a_velocity_backtest_reads_only_the_email_column_and_derives_only_emails(session: Session) -> None:
    store = _profile_store(session)
    profiles = Profiles(session, store.shop, {"velocity.orders_per_email_24h"}, FROM, TO)
    assert (profiles.read, profiles.kinds) == (("email",), frozenset({"email"}))


@pytest.mark.parametrize("name", PROFILE_FAMILIES["signals"])
def test_each_signal_read_alone_backtests_as_full_screening_gives_it(session: Session, name: str) -> None:
    store = _profile_store(session)
    assert _facts(session, store, [name], full=False) == _facts(session, store, [name], full=True)


def test_a_links_backtest_reads_the_identity_columns_linked_on_and_not_the_browser(session: Session) -> None:
    store = _profile_store(session)
    used = {"velocity.orders_per_email_24h", "linked.blocked_customers"}
    profiles = Profiles(session, store.shop, used, FROM, TO)
    # the shop links on email, phone, name and address, device and card: not on the IP or user agent
    assert profiles.read == (
        "email",
        "phone",
        "shipping_address",
        "billing_address",
        "device_id",
        "payment_fingerprint",
        "card_bin",
        "card_last4",
        "card_expiry",
    )
    assert profiles.columns == (*profiles.read, "currency")


def test_a_backtest_of_blocked_links_reads_only_the_identifiers_of_customers_who_can_lead_to_a_blocked_one(
    session: Session,
) -> None:
    store = _profile_store(session)
    # a customer sharing nothing with anyone
    apart = new_customer(session, store, email="apart@example.com")
    elsewhere = ELSEWHERE | {"name": "Eva Berg", "address1": "Kungsgatan 9"}
    past_order(
        session,
        store,
        apart,
        created_at=T0 + timedelta(days=5),
        shipping_address=elsewhere,
        billing_address=elsewhere,
    )
    session.flush()
    profiles = Profiles(session, store.shop, {"linked.blocked_customers"}, FROM, TO)
    (blocked,) = profiles.blocked
    assert blocked in profiles.reach_blocked
    assert ("phone", "+4791234567") in profiles.holders
    assert {cid for holders in profiles.holders.values() for cid in holders} <= profiles.reach_blocked
    assert apart.id not in profiles.reach_blocked
    assert ("email", "apart@example.com") not in profiles.holders


@pytest.mark.parametrize(
    ("names", "varies", "values"),
    [
        (["linked.blocked_customers"], "linked.blocked_customers", {0, 1}),
        (["customer.segment", "signals.linked_to_blocked"], "signals.linked_to_blocked", {False, True}),
    ],
)
def test_blocked_links_read_without_counting_links_equal_full_screening_on_every_order(
    session: Session, names: list[str], varies: str, values: set[Any]
) -> None:
    store = _profile_store(session)
    columnar = _facts(session, store, names, full=False)
    assert columnar == _facts(session, store, names, full=True)
    # some orders reach the blocked customer and some do not
    assert {f[varies] for f in columnar.values()} == values


def test_a_profile_backtest_in_chunks_of_a_few_orders_has_the_answer_of_full_screening(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What is worked out once per identity, customer and list match is carried from chunk to chunk.
    monkeypatch.setattr("storeguard.screening.backtest.PROFILE_CHUNK", 4)
    source = (
        "review if velocity.orders_per_email_24h > 2 or linked.blocked_customers > 0"
        " or customer.segment == 'watch' and signals.has_chargebacks"
    )
    answers = _columnar_and_full(session, _profile_store(session).shop.id, source)
    for a in answers:
        a.pop("path"), a.pop("seconds")
    assert answers[0]["orders"] == 17
    assert answers[0]["stopped"] > 0
    assert answers[0] == answers[1]


def test_velocity_and_links_backtest_as_full_screening_when_orders_carry_no_phone_address_or_ip(
    session: Session,
) -> None:
    store = make_store(session)
    bare = {"shipping_address": None, "billing_address": None}
    blocked = new_customer(session, store, email="shared@example.com")
    evidence = past_order(session, store, blocked, created_at=T0 + timedelta(days=1), **bare)
    block_customer(session, store, blocked, evidence)
    # a second account on the blocked customer's email, buying three times in an hour
    second = new_customer(session, store, email="shared@example.com")
    for hours in (0.0, 0.3, 0.6):
        order = past_order(session, store, second, created_at=T0 + timedelta(days=3, hours=hours), **bare)
        _recorded(session, store, order)
    session.flush()
    names = ["velocity.orders_per_email_24h", "linked.customers", "linked.blocked_customers"]
    columnar = _facts(session, store, names, full=False)
    assert [tuple(f.values()) for _, f in sorted(columnar.items())] == [(1, 1, 1), (2, 1, 1), (3, 1, 1)]
    assert columnar == _facts(session, store, names, full=True)


def test_a_list_entry_scoped_to_limited_editions_blocks_only_the_orders_holding_one_in_a_backtest(
    session: Session,
) -> None:
    store = make_store(session)
    customer = new_customer(session, store)
    evidence = past_order(session, store, customer, created_at=T0 + timedelta(days=1))
    block_customer(session, store, customer, evidence, scope={"kind": "limited_edition"})
    # the same customer and identifiers, with and without a limited edition, twice each
    for day, product in ((3, store.shirt), (4, store.sneaker), (5, store.shirt), (6, store.sneaker)):
        past_order(session, store, customer, created_at=T0 + timedelta(days=day), lines=[(product, 1)])
    session.flush()
    columnar = _facts(session, store, ["customer.segment"], full=False)
    assert [f["customer.segment"] for _, f in sorted(columnar.items())] == [
        "neutral",
        "blocked",
        "good",  # a third order: the customer is good unless the block applies
        "blocked",
    ]
    assert columnar == _facts(session, store, ["customer.segment"], full=True)


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-01 12:00:00.000000",  # SQLite's text
        datetime(2025, 1, 1, 12, tzinfo=ZoneInfo("Etc/UTC")),  # PostgreSQL's driver
        datetime(2025, 1, 1, 12, tzinfo=UTC),
        datetime(2025, 1, 1, 13, tzinfo=ZoneInfo("Europe/Oslo")),
        datetime(2025, 1, 1, 14, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_time_read_from_either_database_becomes_the_same_naive_utc(value: str | datetime) -> None:
    assert naive_utc(value) == datetime(2025, 1, 1, 12)  # noqa: DTZ001 - naive UTC is the point


def test_an_identity_with_only_an_email_is_searched_only_for_the_types_an_email_gives(
    session: Session,
) -> None:
    store = _profile_store(session)
    profiles = Profiles(session, store.shop, {"linked.blocked_customers"}, FROM, TO)
    row = tuple("kari@example.com" if column == "email" else None for column in profiles.read)
    identity = profiles._identity(row, None)
    assert profiles.kinds_of_filled == {
        tuple(column == "email" for column in profiles.read): frozenset({"email", "platform_id"})
    }
    assert identity.linking == frozenset({("email", "kari@example.com")})


def test_an_order_screened_before_it_was_stored_is_not_its_own_velocity_in_a_backtest(
    session: Session,
) -> None:
    store = make_store(session)
    customer = new_customer(session, store, email="early@example.com")
    earlier = past_order(session, store, customer, created_at=T0 + timedelta(days=3))
    _recorded(session, store, earlier)
    # Screened at checkout ten minutes before the platform stored it: its event comes first.
    order = past_order(session, store, customer, created_at=T0 + timedelta(days=3, hours=1))
    keys = velocity_keys(identifiers_of_order(order, default_region="NO"))
    SqlVelocity().record(
        session,
        store.shop.id,
        keys,
        order_id=order.id,
        amount=order.total,
        at=order.created_at - timedelta(minutes=10),
    )
    session.flush()
    names = ["velocity.orders_per_email_24h", "velocity.amount_per_email_24h"]
    columnar = _facts(session, store, names, full=False)
    assert columnar[order.id] == {
        "velocity.orders_per_email_24h": 2,
        "velocity.amount_per_email_24h": (earlier.total + order.total) / 100,
    }
    assert columnar == _facts(session, store, names, full=True)
