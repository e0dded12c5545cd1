"""Each customer's kept profile equals the one rebuilt from history, whatever wrote it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from storeguard.core.actor import Actor
from storeguard.core.api import Reader
from storeguard.core.db import make_session_factory
from storeguard.core.enums import Role
from storeguard.core.errors import DomainError
from storeguard.core.prepared import Driver
from storeguard.customers.models import Customer
from storeguard.disputes.actions import enter_dispute, record_dispute_outcome
from storeguard.disputes.models import Dispute
from storeguard.integrations.mirror.orders import upsert_orders
from storeguard.integrations.platforms.shopify.mapping import map_order
from storeguard.orders.actions import cancel_order
from storeguard.orders.models import Order
from storeguard.orders.payments import RefundLineSpec, refund_order
from storeguard.screening import reads
from storeguard.screening.engine import screen
from storeguard.screening.metrics import customer_metrics
from storeguard.screening.models import CustomerProfile
from storeguard.screening.profiles import Disagreement, rebuild_profiles, verify_profiles
from tests.factories import make_customer, make_product, make_shop, place_order
from tests.integrations.payloads import shopify_order, shopify_refund
from tests.screening.support import checkout, make_store, new_customer, past_order

STAFF = Actor("staff", "kari@example.com", Role.owner)


def _kept(session: Session, customer_id: int) -> tuple[int, ...] | None:
    row = session.get(CustomerProfile, customer_id, populate_existing=True)
    if row is None:
        return None
    return (
        row.orders_count,
        row.total_spent,
        row.cancellations,
        row.chargebacks,
        row.refunds_count,
        row.refunded_amount,
        row.items_bought,
        row.items_returned,
    )


def _aggregated(session: Session, customer_id: int) -> tuple[int, ...]:
    m = customer_metrics(session, customer_id)
    return (
        m.orders_count,
        m.total_spent,
        m.cancellations,
        m.chargebacks,
        m.refunds_count,
        m.refunded_amount,
        m.items_bought,
        m.items_returned,
    )


_WRITES = st.lists(
    st.tuples(
        st.sampled_from(
            ["place", "place", "cancel", "refund", "return", "dispute", "lose", "win", "tag", "move"]
        ),
        st.integers(0, 1),  # which customer
        st.integers(0, 5),  # which of the orders (or disputes) so far
        st.integers(1, 3),  # a quantity
    ),
    min_size=1,
    max_size=10,
)


def _write(session: Session, world: dict[str, Any], op: tuple[str, int, int, int]) -> None:
    """Make one write the way the app makes it (the actions; a platform's own changes by the ORM)."""
    kind, who, which, qty = op
    shop, product, customers = world["shop"], world["product"], world["customers"]
    orders: list[int] = world["orders"]
    disputes: list[int] = world["disputes"]
    if kind == "place":
        orders.append(place_order(session, shop, [(product, qty)], customer=customers[who]).id)
        return
    if not orders:
        return
    order_id = orders[which % len(orders)]
    if kind == "cancel":
        cancel_order(
            session,
            order_id=order_id,
            actor=STAFF,
            reason="customer",
            refund=bool(qty % 2),
            restock=True,
            notify_customer=False,
        )
    elif kind in ("refund", "return"):
        line = session.scalars(select(Order).where(Order.id == order_id)).one().line_items[0]
        refund_order(
            session,
            order_id=order_id,
            actor=STAFF,
            lines=[RefundLineSpec(line.id, 1, restock=kind == "return")],
            returned=kind == "return",
        )
    elif kind == "dispute":
        dispute = enter_dispute(
            session,
            actor=STAFF,
            order_id=order_id,
            amount=100,
            currency=shop.currency,
            reason="fraud",
            evidence_due_at=datetime.now(UTC) + timedelta(days=7),
        )
        disputes.append(dispute.id)
    elif kind in ("lose", "win") and disputes:
        record_dispute_outcome(
            session,
            dispute_id=disputes[which % len(disputes)],
            actor=STAFF,
            outcome="lost" if kind == "lose" else "won",
        )
    elif kind == "tag":  # as a platform's order update tags it
        order = session.get(Order, order_id)
        assert order is not None
        order.tags = [*(order.tags or []), "chargeback"]
    elif kind == "move":  # the platform put the order on the other customer
        order = session.get(Order, order_id)
        assert order is not None
        order.customer_id = customers[1 - who].id
    session.flush()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=_WRITES)
def test_kept_profiles_equal_the_ones_rebuilt_from_history_after_any_writes(
    session: Session, writes: list[tuple[str, int, int, int]]
) -> None:
    with session.begin_nested() as example:
        shop = make_shop(session)
        world: dict[str, Any] = {
            "shop": shop,
            "product": make_product(session, shop, price=2500, stock=1000),
            "customers": [make_customer(session, shop), make_customer(session, shop)],
            "orders": [],
            "disputes": [],
        }
        for op in writes:
            try:
                with session.begin_nested():
                    _write(session, world, op)
            except DomainError:
                pass  # a refused write changed nothing
        session.flush()
        for customer in world["customers"]:
            assert verify_profiles(session, customer_id=customer.id) == []
            kept = _kept(session, customer.id)
            assert (kept or (0,) * 8) == _aggregated(session, customer.id)
        example.rollback()


def test_a_placed_order_is_in_its_customers_profile_at_once(session: Session) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    product = make_product(session, shop, price=2500)

    place_order(session, shop, [(product, 3)], customer=customer)

    assert _kept(session, customer.id) == (1, 7500, 0, 0, 0, 0, 3, 0)


def test_verify_finds_a_profile_changed_by_hand_and_rebuild_repairs_it(session: Session) -> None:
    shop = make_shop(session)
    customer, other = make_customer(session, shop), make_customer(session, shop)
    product = make_product(session, shop, price=2500)
    place_order(session, shop, [(product, 2)], customer=customer)
    place_order(session, shop, [(product, 1)], customer=other)
    session.execute(
        update(CustomerProfile).where(CustomerProfile.customer_id == customer.id).values(orders_count=9)
    )

    wrong = verify_profiles(session)

    assert wrong == [Disagreement(customer.id, (9, 5000, 0, 0, 0, 0, 2, 0), (1, 5000, 0, 0, 0, 0, 2, 0))]
    assert rebuild_profiles(session, customer_id=customer.id) == 1
    assert verify_profiles(session) == []
    assert _kept(session, customer.id) == (1, 5000, 0, 0, 0, 0, 2, 0)


def test_verify_finds_a_missing_profile_of_a_customer_with_orders(session: Session) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    place_order(session, shop, [(make_product(session, shop, price=1000), 1)], customer=customer)
    session.query(CustomerProfile).filter_by(customer_id=customer.id).delete()

    assert verify_profiles(session) == [Disagreement(customer.id, None, (1, 1000, 0, 0, 0, 0, 1, 0))]
    rebuild_profiles(session)
    assert verify_profiles(session) == []


def test_orders_the_mirror_writer_stores_in_bulk_are_in_their_customers_profiles(session: Session) -> None:
    shop = make_shop(session, currency="NOK")
    refund = shopify_refund(id=71, order_id=901)
    mapped = [
        map_order(shopify_order(id=900, name="#900")),
        map_order(shopify_order(id=901, name="#901", refunds=[refund])),
    ]

    upsert_orders(session, shop, mapped)

    customer_id = session.scalars(select(Customer.id).where(Customer.shop_id == shop.id)).one()
    assert verify_profiles(session, customer_id=customer_id) == []
    assert _kept(session, customer_id) == _aggregated(session, customer_id)
    assert _kept(session, customer_id)[0] == 2  # type: ignore[index]


@pytest.fixture
def history(session: Session) -> tuple[Any, Customer]:
    """A customer with spend, a refund, a cancellation and a chargeback behind them."""
    store = make_store(session)
    customer = new_customer(session, store)
    kept = past_order(session, store, customer, lines=[(store.shirt, 2)])
    past_order(session, store, customer, tags=["chargeback"])
    cancelled = past_order(session, store, customer)
    cancel_order(
        session,
        order_id=cancelled.id,
        actor=STAFF,
        reason="customer",
        refund=True,
        restock=True,
        notify_customer=False,
    )
    line = kept.line_items[0]
    refund_order(
        session,
        order_id=kept.id,
        actor=STAFF,
        lines=[RefundLineSpec(line.id, 1, restock=True)],
        returned=True,
    )
    session.add(
        Dispute(
            gateway="stripe",
            gateway_dispute_id="dp_p1",
            shop_id=store.shop.id,
            order_id=kept.id,
            customer_id=customer.id,
            amount=100,
            currency="NOK",
            status="needs_response",
        )
    )
    session.flush()
    return store, customer


def test_checkout_screening_answers_the_same_facts_from_the_profile_as_from_the_history(
    session: Session, history: tuple[Any, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, customer = history
    order = checkout(store, customer_id=customer.id, email=customer.email)
    from_profile = screen(session, order).facts

    real = reads._history_run

    def aggregate(*args: Any) -> Any:
        params, (known, address, as_of, _) = real(*args)
        return {**params, "exclude_order_id": 0}, (known, address, as_of, False)

    monkeypatch.setattr(reads, "_history_run", aggregate)
    from_history = screen(session, order).facts

    assert from_profile == from_history
    assert (from_profile["customer.orders_count"], from_profile["customer.chargebacks"]) == (3, 2)
    assert from_profile["customer.refunds_count"] == 1  # a cancelled order's refund is not counted


def test_screening_a_stored_order_still_leaves_it_out_of_its_own_history(
    session: Session, history: tuple[Any, Customer]
) -> None:
    store, customer = history
    order = past_order(session, store, customer)

    facts = screen(session, order).facts

    assert facts["customer.orders_count"] == 3  # the three before it, not itself
    assert _kept(session, customer.id)[0] == 4  # type: ignore[index]


def test_checkout_on_the_read_pool_answers_the_same_facts_from_the_profile(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's own read path: a pooled read-only connection, on PostgreSQL its reads pipelined.
    with Session(committing_engine, expire_on_commit=False) as s:
        store = make_store(s)
        customer = new_customer(s, store)
        past_order(s, store, customer, tags=["chargeback"], lines=[(store.shirt, 2)])
        past_order(s, store, customer)
        s.commit()
    order = checkout(store, customer_id=customer.id, email=customer.email)
    reader = Reader(committing_engine, make_session_factory(committing_engine))
    sent: list[tuple[Any, ...]] = []
    ahead = Driver.ahead

    def recorded(db: Driver, runs: Any) -> None:
        runs = list(runs)
        sent.extend(shape for prepared, _, shape in runs if prepared is reads._HISTORY)
        ahead(db, runs)

    monkeypatch.setattr(Driver, "ahead", recorded)
    with reader.open() as db:
        from_profile = screen(db, order).facts
    assert sent == [(True, True, False, True)]  # the profile's read, sent ahead with the others

    real = reads._history_run

    def aggregate(*args: Any) -> Any:
        params, (known, address, as_of, _) = real(*args)
        return {**params, "exclude_order_id": 0}, (known, address, as_of, False)

    monkeypatch.setattr(reads, "_history_run", aggregate)
    with reader.open() as db:
        from_history = screen(db, order).facts

    assert from_profile == from_history
    assert (from_profile["customer.orders_count"], from_profile["customer.chargebacks"]) == (2, 1)


def test_two_writers_of_one_customers_history_at_once_leave_the_profile_exact(
    committing_engine: Engine,
) -> None:
    if committing_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second waits before it reads anything")
    with Session(committing_engine, expire_on_commit=False) as s:
        shop = make_shop(s)
        product = make_product(s, shop, price=1000, stock=100)
        customer = make_customer(s, shop)
        refunded = place_order(s, shop, [(product, 1)], customer=customer)
        tagged = place_order(s, shop, [(product, 2)], customer=customer)
        s.commit()
    first = Session(committing_engine, expire_on_commit=False)
    line = refunded.line_items[0]
    refund_order(first, order_id=refunded.id, actor=STAFF, lines=[RefundLineSpec(line.id, 1)])
    first.flush()  # the refund and its profile refresh are made, not yet committed
    done: list[BaseException | None] = []

    def second_writer() -> None:
        # A platform's update (no audit, no lock of the shop): only the customer's mark is shared.
        try:
            with Session(committing_engine) as second:
                order = second.get(Order, tagged.id)
                assert order is not None
                order.tags = ["chargeback"]
                second.commit()
            done.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            done.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # the second waits for the first writer of this history
    first.commit()
    first.close()
    thread.join(10)

    assert done == [None]
    with Session(committing_engine) as s:
        assert verify_profiles(s) == []
        assert _kept(s, customer.id) == (2, 3000, 0, 1, 1, 1000, 3, 0)
