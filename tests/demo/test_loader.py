"""Loading the demo store into SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storeguard.core.errors import Conflict
from storeguard.core.models import AuditEvent
from storeguard.customers.identifiers import identifiers_of_order
from storeguard.customers.models import Customer
from storeguard.customers.service import cluster_ids
from storeguard.demo.generator import SHOP, DemoConfig
from storeguard.demo.loader import after_load, load_demo
from storeguard.lists.models import CustomerBlock, ListEntry
from storeguard.orders.models import InventoryMovement, Order, Refund, Transaction
from storeguard.risk.evaluation import check_clusters
from storeguard.screening.engine import velocity_keys
from storeguard.screening.models import VelocityEvent
from storeguard.screening.velocity_sql import SqlVelocity
from storeguard.shops.models import Product, Shop

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SMALL = DemoConfig(customers=60, orders=150, seed=3)


def _count(session, model, shop_id=None):
    stmt = select(func.count()).select_from(model)
    if shop_id is not None:
        stmt = stmt.where(model.shop_id == shop_id)
    return session.scalar(stmt)


def test_load_demo_inserts_every_row_and_derives_stock_from_movements(session):
    result = load_demo(session, SMALL, now=NOW)

    shop = result.shop
    assert (shop.name, shop.currency, shop.country, shop.platform) == (
        "Nordlys Outfitters",
        "NOK",
        "NO",
        "shopify",
    )
    assert _count(session, Customer, shop.id) == 60
    assert _count(session, Order, shop.id) == 150
    assert _count(session, Product, shop.id) == 40
    order_ids = select(Order.id).where(Order.shop_id == shop.id)
    assert (
        session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id.in_(order_ids)))
        == (result.counts["refunds"])
    )
    assert (
        session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.order_id.in_(order_ids))
        )
        == (result.counts["transactions"])
    )
    for product in session.scalars(select(Product).where(Product.shop_id == shop.id)):
        ledger = session.scalar(
            select(func.sum(InventoryMovement.delta)).where(InventoryMovement.product_id == product.id)
        )
        assert product.stock == ledger >= 0
    assert result.stock_corrections  # the load records receipts, sales and restocks; stock follows from them
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "demo.loaded"))
    assert event.data["counts"]["orders"] == 150


def test_loaded_orders_read_back_with_aware_times_and_address_dicts(session):
    result = load_demo(session, SMALL, now=NOW)

    order = session.scalar(select(Order).where(Order.shop_id == result.shop.id).order_by(Order.id).limit(1))
    assert order.number == "#1001"
    assert order.created_at.tzinfo is not None
    assert set(order.shipping_address) == {
        "name",
        "address1",
        "address2",
        "city",
        "zip",
        "province",
        "country_code",
    }
    assert order.line_items and order.currency == "NOK"


def test_load_demo_refuses_a_second_load_and_adds_nothing(session):
    load_demo(session, SMALL, now=NOW)
    customers = _count(session, Customer)

    with pytest.raises(Conflict) as exc:
        load_demo(session, SMALL, now=NOW)

    assert exc.value.code == "demo_already_loaded"
    assert _count(session, Customer) == customers
    assert session.scalar(select(func.count()).select_from(Shop).where(Shop.domain == SHOP["domain"])) == 1


def test_new_rows_after_a_load_get_fresh_ids(session):
    result = load_demo(session, SMALL, now=NOW)
    highest = session.scalar(select(func.max(Customer.id)))

    customer = Customer(shop_id=result.shop.id, email="new@example.com", first_name="Ny", last_name="Kunde")
    session.add(customer)
    session.flush()

    assert customer.id > highest


def test_after_load_puts_drifted_stock_back_to_the_ledger(session):
    result = load_demo(session, SMALL, now=NOW)
    product = session.scalar(
        select(Product).where(Product.shop_id == result.shop.id).order_by(Product.id).limit(1)
    )
    right = product.stock
    product.stock = right + 7
    session.flush()

    corrections = after_load(session, result.shop)

    assert corrections == {product.id: (right + 7, right)}
    assert product.stock == right


def test_load_demo_blocks_each_second_accounts_original_through_the_block_action(session):
    result = load_demo(session, SMALL, now=NOW)

    planned = {b["customer_id"]: b for b in result.ground_truth["blocks"]}
    originals = {e["original_customer_id"] for e in result.ground_truth["customers"] if e["type"] == "evader"}
    assert originals and originals <= set(planned)
    blocks = session.scalars(select(CustomerBlock).where(CustomerBlock.shop_id == result.shop.id)).all()
    assert {b.customer_id: b.id for b in blocks} == {c: b["block_id"] for c, b in planned.items()}
    for block in blocks:
        assert block.status == "active" and block.reason_code == planned[block.customer_id]["reason_code"]
        assert block.scope["kind"] == planned[block.customer_id]["scope"]
        assert block.evidence["notes"][0] == planned[block.customer_id]["why"]
        entries = session.scalars(select(ListEntry).where(ListEntry.block_id == block.id)).all()
        assert {"customer", "email"} <= {e.type for e in entries}
        assert block.notice_message_id is None  # the demo's customers are made up: no mail is queued
    audited = session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "customer.blocked")
    ).all()
    assert sorted(map(int, audited)) == sorted(planned)


def test_load_demo_counts_the_last_30_days_orders_under_their_velocity_keys(session):
    result = load_demo(session, SMALL, now=NOW)

    recent = session.scalars(
        select(Order).where(Order.shop_id == result.shop.id, Order.created_at > NOW - timedelta(days=30))
    ).all()
    counted = session.scalars(select(VelocityEvent.order_id).where(VelocityEvent.shop_id == result.shop.id))
    assert recent and set(counted) == {o.id for o in recent}
    assert result.counts["velocity_events"] == session.scalar(select(func.count()).select_from(VelocityEvent))
    latest = max(recent, key=lambda o: o.created_at)
    keys = velocity_keys(identifiers_of_order(latest, default_region="NO"))
    counts = SqlVelocity().counts(session, result.shop.id, keys, at=latest.created_at + timedelta(seconds=1))
    assert counts.order_count("email", "30d") >= 1


def test_no_cluster_joins_customers_who_are_not_one_person(session):
    # Households, a campus network, common names and colliding cards are all in a store this size;
    # only an evader and the account they came back from may share a cluster.
    result = load_demo(session, DemoConfig(customers=300, orders=900, seed=11), now=NOW)

    check = check_clusters(cluster_ids(session, result.shop.id), result.ground_truth["customers"])

    assert check.clusters > 0
    assert (check.joining_unrelated, check.examples) == (0, ())
