"""Shopify payloads as Shopify sends them: money as numbers, guests' account state, repeated names, transactions."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.enums import DeliveryStatus
from storeguard.integrations.mirror.shapes import MappingError
from storeguard.integrations.models import WebhookDelivery
from storeguard.integrations.platforms.shopify.mapping import exact_decimal, money
from storeguard.lists.blocking import block_customer
from storeguard.orders.models import Order, Refund, Transaction
from storeguard.rules.actions import create_rule
from storeguard.screening.engine import screen
from storeguard.shops.models import Shop
from tests.conftest import TEST_ACTOR
from tests.integrations.conftest import body_of, shopify_headers
from tests.integrations.payloads import BIG_CUSTOMER_ID, BIG_ORDER_ID, shopify_order, shopify_refund

URL = "/webhooks/shopify/kari-sko.myshopify.com"


def _post(client: TestClient, payload: dict, topic: str, webhook_id: str):  # noqa: ANN202
    body = body_of(payload)
    return client.post(URL, content=body, headers=shopify_headers(body, topic=topic, webhook_id=webhook_id))


def _status(session: Session, webhook_id: str) -> tuple[str, str | None]:
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery).where(WebhookDelivery.delivery_id == webhook_id)).one()
    return delivery.status, delivery.error


def test_a_refund_line_subtotal_sent_as_a_number_is_stored_exactly(client, session, shopify_shop: Shop):
    _post(client, shopify_order(), "orders/create", "o-1")
    refund = shopify_refund()
    for item in refund["refund_line_items"]:
        item["subtotal"], item["total_tax"] = 195.66, 48.92
    for tx in refund["transactions"]:
        tx["amount"] = 195.66
    _post(client, refund, "refunds/create", "r-1")
    assert _status(session, "r-1") == (DeliveryStatus.processed, None)
    stored = session.scalars(select(Refund)).one()
    assert [line.amount for line in stored.lines] == [19566]
    assert stored.amount == 19566


def test_a_guests_shopify_disabled_state_is_a_fact_not_a_block(client, session, shopify_shop: Shop):
    order = shopify_order()
    order["customer"]["state"] = "disabled"  # Shopify's default for a buyer without an online account
    create_rule(session, name="disabled accounts", source="block if customer.is_disabled", actor=TEST_ACTOR)
    session.commit()
    _post(client, order, "orders/create", "o-guest")
    customer = session.scalars(select(Customer)).one()
    assert (customer.state, customer.platform_account_state) == ("enabled", "disabled")
    stored = session.scalars(select(Order)).one()
    result = screen(session, stored)
    assert (result.facts["customer.is_disabled"], result.facts["customer.platform_account_state"]) == (
        False,
        "disabled",
    )
    assert result.verdict.decision.value != "block"


def test_a_later_shopify_update_never_lifts_a_disable_made_in_storeguard(client, session, shopify_shop: Shop):
    _post(client, shopify_order(), "orders/create", "o-1")
    customer = session.scalars(select(Customer)).one()
    block_customer(
        session,
        customer_id=customer.id,
        actor=TEST_ACTOR,
        reason_code="fraud",
        justification="three chargebacks in one month on this account",
        disable_account=True,
        notify=False,
    )
    session.commit()
    update = copy.deepcopy(shopify_order()["customer"])
    update.update(state="enabled", updated_at="2026-01-01T00:00:00Z", first_name="Ola Johan")
    _post(client, update, "customers/update", "c-1")
    session.expire_all()
    customer = session.scalars(select(Customer)).one()
    assert (customer.first_name, customer.state, customer.platform_account_state) == (
        "Ola Johan",
        "disabled",
        "enabled",
    )


def test_a_second_order_with_a_name_already_used_is_stored_and_flagged(client, session, shopify_shop: Shop):
    _post(client, shopify_order(), "orders/create", "o-1")
    _post(client, shopify_order(id=BIG_ORDER_ID + 2, name="#5001"), "orders/create", "o-2")
    assert _status(session, "o-2") == (DeliveryStatus.processed, None)
    rows = session.execute(
        select(Order.platform_id, Order.number, Order.number_repeated).order_by(Order.id)
    ).all()
    assert rows == [(str(BIG_ORDER_ID), "#5001", False), (str(BIG_ORDER_ID + 2), "#5001", True)]


def _transaction(**overrides) -> dict:  # noqa: ANN003
    return {
        "id": 389404469,
        "order_id": BIG_ORDER_ID,
        "kind": "capture",
        "status": "success",
        "amount": "1623.38",
        "gateway": "shopify_payments",
        "authorization": "ch_3PmK2",
        **overrides,
    }


def test_an_order_transaction_records_its_gateway_reference_once(client, session, shopify_shop: Shop):
    _post(client, shopify_order(financial_status="authorized"), "orders/create", "o-1")
    for webhook_id in ("t-1", "t-1", "t-2"):  # a repeated delivery, then a redelivery under a new id
        _post(client, _transaction(), "order_transactions/create", webhook_id)
    assert _status(session, "t-2") == (DeliveryStatus.processed, None)
    payments = session.execute(
        select(Transaction.kind, Transaction.gateway, Transaction.gateway_reference)
    ).all()
    assert payments == [("sale", "shopify_payments", "ch_3PmK2")]


def test_a_failed_transaction_changes_nothing(client, session, shopify_shop: Shop):
    _post(client, shopify_order(financial_status="authorized"), "orders/create", "o-1")
    before = session.execute(select(Transaction.kind, Transaction.gateway_reference)).all()
    _post(client, _transaction(status="failure", authorization="nope"), "order_transactions/create", "t-1")
    assert _status(session, "t-1") == (DeliveryStatus.processed, None)
    assert session.execute(select(Transaction.kind, Transaction.gateway_reference)).all() == before


def test_a_transaction_before_its_order_waits_for_it(app, client, session, shopify_shop: Shop):
    _post(client, _transaction(), "order_transactions/create", "t-early")
    status, error = _status(session, "t-early")
    assert status == DeliveryStatus.received
    assert error == f"a transaction for order {BIG_ORDER_ID}, which storeguard has not received yet"


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.integers(min_value=0, max_value=99),
)
def test_a_two_decimal_amount_reads_the_same_as_a_string_and_as_a_number(whole, fraction):
    text = f"{whole}.{fraction:02d}"
    assert money(float(text), "NOK", "amount") == money(text, "NOK", "amount") == whole * 100 + fraction


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.999"), places=3, allow_nan=False))
def test_a_three_decimal_amount_as_a_number_is_exact(value):
    assert money(float(value), "KWD", "amount") == int(value * 1000)


def test_a_number_with_more_digits_than_a_double_keeps_is_refused():
    with pytest.raises(MappingError, match="send it as a string"):
        exact_decimal(12345678901234567.0, "amount")


def test_the_customer_fixture_keeps_shopifys_state(client, session, shopify_shop: Shop):
    customer = {
        "id": BIG_CUSTOMER_ID,
        "email": "a@example.no",
        "state": "invited",
        "updated_at": "2025-01-01T00:00:00Z",
    }
    _post(client, customer, "customers/create", "c-1")
    stored = session.scalars(select(Customer)).one()
    assert (stored.state, stored.platform_account_state) == ("enabled", "invited")
