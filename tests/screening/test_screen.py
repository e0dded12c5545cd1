"""screen(): the decision for an order, from lists, links, history, signals, velocity and rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from storeguard.core.clock import frozen, now
from storeguard.orders.enums import OrderStatus
from storeguard.rules.service import clear_cache
from storeguard.screening.engine import screen
from storeguard.screening.velocity_sql import SqlVelocity
from tests.factories import make_dispute
from tests.screening.support import (
    ADDRESS,
    OWNER,
    block_customer,
    checkout,
    make_store,
    new_customer,
    past_order,
)

SQL = SqlVelocity()


def test_screen_allows_a_quiet_order_with_no_reasons(session: Session) -> None:
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    past_order(session, store, kari)
    result = screen(session, checkout(store, email="kari@example.no", customer_id=kari.id), velocity=SQL)
    assert (result.decision, result.verdict.score, result.verdict.reasons) == ("allow", 0, [])
    assert result.facts["customer.orders_count"] == 1
    assert result.facts["order.is_first_order"] is False
    assert result.duration_us > 0


def test_screen_counts_a_disputed_order_as_a_chargeback(session: Session) -> None:
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    make_dispute(session, past_order(session, store, kari), status="lost")  # no chargeback tag
    result = screen(session, checkout(store, email="kari@example.no", customer_id=kari.id), velocity=SQL)
    assert result.facts["customer.chargebacks"] == 1
    assert result.facts["signals.has_chargebacks"] is True


def test_screen_blocks_the_second_account_of_a_blocked_customer_with_the_linking_path(
    session: Session,
) -> None:
    # given a blocked customer, and a new account that uses the same phone
    store = make_store(session)
    first = new_customer(session, store, email="ola@example.no", phone="+4791234567")
    evidence = past_order(session, store, first, phone="+4791234567")
    block_customer(session, store, first, evidence)
    second = new_customer(session, store, email="ola.2@example.no")
    past_order(
        session,
        store,
        second,
        phone="+47 912 34 567",
        shipping_address={**ADDRESS, "address1": "Elsewhere 9"},
    )

    result = screen(
        session,
        checkout(store, email="ola.2@example.no", customer_id=second.id, phone="+4791234567"),
        velocity=SQL,
    )

    assert result.decision == "block"
    deciding = result.verdict.reasons[0]
    assert (deciding.code, deciding.source, deciding.decisive) == ("linked_block", "link", True)
    assert deciding.ref == {
        "type": "list_entry",
        "id": deciding.ref["id"],
        "reason_code": "fraud",
        "customer_id": first.id,
    }
    assert deciding.path[0]["to_customer_id"] == first.id
    assert deciding.path[0]["shared"][0]["type"] == "phone"
    assert "+4791234567" in deciding.message
    assert result.facts["linked.blocked_customers"] == 1
    assert result.facts["signals.linked_to_blocked"] is True


def test_screen_limited_edition_restriction_blocks_only_orders_with_such_items_and_says_which(
    session: Session,
) -> None:
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    evidence = past_order(session, store, kari)
    block_customer(session, store, kari, evidence, scope={"kind": "limited_edition"})

    plain = screen(session, checkout(store, (store.shirt, 1, {}), customer_id=kari.id), velocity=SQL)
    drop = screen(
        session,
        checkout(store, (store.shirt, 1, {}), (store.sneaker, 1, {}), customer_id=kari.id),
        velocity=SQL,
    )

    assert plain.decision == "allow"
    assert [r.code for r in plain.verdict.reasons] == ["list_out_of_scope"]
    assert drop.decision == "block"
    assert drop.verdict.restricted_lines == [
        {
            "index": 1,
            "sku": "LE-SNEAKER",
            "title": store.sneaker.title,
            "quantity": 1,
            "product_id": store.sneaker.id,
            "actions": ["block"],
        }
    ]
    assert "line 2 (limited-edition items)" in drop.verdict.reasons[0].message


def test_screen_allow_entry_wins_over_a_block(session: Session) -> None:
    from storeguard.lists.actions import create_entry

    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    evidence = past_order(session, store, kari)
    block_customer(session, store, kari, evidence)
    create_entry(
        session,
        shop_id=store.shop.id,
        type="email",
        value="kari@example.no",
        kind="allow",
        action=None,
        actor=OWNER,
        note="our own staff member",
    )
    result = screen(session, checkout(store, email="kari@example.no", customer_id=kari.id), velocity=SQL)
    assert result.decision == "allow"
    assert result.verdict.reasons[0].code == "list_allow"


def test_screen_adds_signal_weights_into_the_score_and_decides_by_threshold(session: Session) -> None:
    store = make_store(session)
    # a first order of 900 NOK, disposable email, billing in another country, 3 sizes of one shirt
    order = checkout(
        store,
        (store.shirt, 1, {"size": "S"}),
        (store.shirt, 1, {"size": "M"}),
        (store.shirt, 1, {"size": "L"}),
        email="x@mailinator.com",
        billing_address={**ADDRESS, "country_code": "SE"},
    )
    result = screen(session, order, velocity=SQL)
    assert {r.code: r.weight for r in result.verdict.reasons} == {
        "disposable_email": 30,
        "country_mismatch": 15,
        "many_variants_of_one_product": 20,
    }
    assert (result.verdict.score, result.decision) == (65, "review")


def test_a_first_order_is_high_value_by_the_shops_currency_not_by_the_number(session: Session) -> None:
    # The NOK shop's default is 5,000 kr (about 500 dollars): 900 kr is an ordinary first order.
    store = make_store(session)
    ordinary = screen(
        session, checkout(store, (store.shirt, 1, {"size": "S"}), email="a@example.no"), velocity=SQL
    )
    large = checkout(store, (store.shirt, 1, {"size": "S"}), email="b@example.no")
    large.total = 600_000
    costly = screen(session, large, velocity=SQL)

    assert "first_order_high_value" not in {r.code for r in ordinary.verdict.reasons}
    assert {r.code: r.weight for r in costly.verdict.reasons}["first_order_high_value"] == 25


def test_screen_counts_the_customers_cancelled_orders_as_a_signal_and_for_the_watch_segment(
    session: Session,
) -> None:
    store = make_store(session)
    kari = new_customer(session, store, email="kari@example.no")
    for _ in range(3):
        past_order(session, store, kari, status=OrderStatus.cancelled)
    result = screen(session, checkout(store, email="kari@example.no", customer_id=kari.id), velocity=SQL)
    assert result.facts["customer.cancellations"] == 3
    assert result.facts["signals.many_cancellations"] is True
    assert {r.code: r.weight for r in result.verdict.reasons} == {
        "segment_watch": 15,
        "many_cancellations": 10,
    }
    reason = next(r for r in result.verdict.reasons if r.code == "many_cancellations")
    assert reason.message == "3 of the customer's earlier orders were cancelled."


def test_screen_velocity_counts_this_order_and_fires_over_the_limit(session: Session) -> None:
    store = make_store(session)
    t0 = now()
    for i in range(3):
        SQL.record(
            session,
            store.shop.id,
            {"email": "rush@example.no"},
            order_id=900 + i,
            amount=30000,
            at=t0 - timedelta(minutes=10 + i),
        )
    with frozen(t0):
        result = screen(session, checkout(store, email="rush@example.no"), velocity=SQL)
    assert result.facts["velocity.orders_per_email_1h"] == 4
    assert result.facts["velocity.amount_per_email_24h"] == 1200.0
    velocity = [r for r in result.verdict.reasons if r.source == "velocity"]
    assert [(r.code, r.weight) for r in velocity] == [("velocity_orders_per_email_1h", 20)]
    assert velocity[0].message == "4 orders with this email in the last hour (the limit is 3)."


def test_screen_sums_amounts_per_device_phone_and_address_and_a_limit_on_a_sum_fires(
    session: Session,
) -> None:
    from storeguard.screening.actions import update_screening_settings

    store = make_store(session)
    limit = {"fact": "amount_per_device_30d", "max": 800, "weight": 20}
    update_screening_settings(session, shop_id=store.shop.id, actor=OWNER, changes={"velocity": [limit]})
    t0 = now()
    order = checkout(store, device_id="dev-77", phone="+4791234567", created_at=t0)
    keys = screen(session, order, velocity=SQL).velocity_keys
    for i, ago in enumerate((timedelta(hours=2), timedelta(days=20))):
        SQL.record(session, store.shop.id, keys, order_id=900 + i, amount=30000, at=t0 - ago)
    result = screen(session, order, velocity=SQL)
    sums = {k: result.facts[f"velocity.amount_per_{k}"] for k in ("device_1h", "device_24h", "device_30d")}
    assert sums == {"device_1h": 300.0, "device_24h": 600.0, "device_30d": 900.0}
    assert result.facts["velocity.amount_per_phone_7d"] == 600.0
    assert result.facts["velocity.amount_per_address_30d"] == 900.0
    reason = next(r for r in result.verdict.reasons if r.source == "velocity")
    assert (reason.code, reason.weight) == ("velocity_amount_per_device_30d", 20)
    assert reason.message == "900 spent with this device in the last 30 days (the limit is 800)."


def test_screen_applies_the_strongest_rule_and_names_it(session: Session) -> None:
    from storeguard.rules.actions import create_rule

    store = make_store(session)
    create_rule(
        session,
        shop_id=store.shop.id,
        name="Big first orders",
        source="review if order.total > 1000",
        actor=OWNER,
    )
    create_rule(
        session,
        shop_id=store.shop.id,
        name="Limited drops",
        source="verify if order.has_limited_edition",
        actor=OWNER,
    )
    clear_cache()
    result = screen(session, checkout(store, (store.sneaker, 1, {})), velocity=SQL)
    assert result.decision == "review"
    rule_reasons = [r for r in result.verdict.reasons if r.source == "rule"]
    assert [(r.ref["name"], r.action, r.decisive) for r in rule_reasons] == [
        ("Big first orders", "review", True),
        ("Limited drops", "verify", False),
    ]
    assert result.policy_version >= 1


def test_screen_facts_have_exactly_the_keys_of_the_rules_catalogue(session: Session) -> None:
    from storeguard.rules.facts import FACTS

    store = make_store(session)
    result = screen(session, checkout(store), velocity=SQL)
    assert set(result.facts) == set(FACTS)
    assert result.facts["order.total"] == 300.0
    assert result.facts["order.categories"] == ["apparel"]
