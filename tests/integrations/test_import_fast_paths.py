"""The bulk writer's fast paths store exactly what the careful one-by-one paths store."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.orm import Session

from storeguard.core.bulk_insert import matches_any, sqlite_time
from storeguard.core.db import UTCDateTime
from storeguard.core.errors import Invalid
from storeguard.customers.models import Customer
from storeguard.integrations.bulk.service import import_file
from storeguard.integrations.mirror.orders import apply_fulfillments, apply_refunds, upsert_orders
from storeguard.integrations.platforms.shopify.mapping import map_order
from storeguard.orders.models import (
    Fulfillment,
    FulfillmentLine,
    LineItem,
    Order,
    Refund,
    RefundLine,
    Transaction,
)
from storeguard.shops.models import Shop
from tests.factories import make_shop
from tests.integrations.payloads import shopify_order, shopify_refund

LINE = 1000000000000000001


def _fulfillment(fid: int, **overrides: Any) -> dict[str, Any]:
    data = {
        "id": fid,
        "status": "success",
        "shipment_status": "delivered",
        "tracking_company": "Posten",
        "tracking_number": f"TRK{fid}",
        "created_at": "2025-03-02T09:00:00Z",
        "updated_at": "2025-03-04T09:00:00Z",
        "line_items": [{"id": LINE, "quantity": 2}],
    }
    data.update(overrides)
    return data


def _history(n: int) -> list[dict[str, Any]]:
    """Orders as a shop's history has them: fulfilled, some refunded, one shipment cancelled."""
    orders = []
    for i in range(n):
        line = {**shopify_order()["line_items"][0], "id": LINE + i}
        fulfillments = [
            _fulfillment(
                60 + i,
                line_items=[{"id": LINE + i, "quantity": 2}],
                status="cancelled" if i == 1 else "success",
            )
        ]
        refunds = []
        if i % 2 == 0:
            refund = shopify_refund(id=70 + i, order_id=900 + i)
            refund["refund_line_items"][0]["line_item_id"] = LINE + i
            refund["transactions"][0]["id"] = 80 + i
            refunds.append(refund)
        orders.append(
            shopify_order(
                id=900 + i,
                name=f"#{900 + i}",
                line_items=[line],
                fulfillments=fulfillments,
                refunds=refunds,
            )
        )
    return orders


def _snapshot(session: Session, shop: Shop) -> list[tuple[Any, ...]]:
    """Every stored fact of a shop's orders' shipments, refunds and payments, ids left out."""
    facts: list[tuple[Any, ...]] = []
    orders = session.scalars(select(Order).where(Order.shop_id == shop.id).order_by(Order.platform_id))
    for order in orders:
        lines = {
            li.id: li.platform_id
            for li in session.scalars(select(LineItem).where(LineItem.order_id == order.id))
        }
        for li in session.scalars(select(LineItem).where(LineItem.order_id == order.id)):
            facts.append(
                (
                    "line",
                    order.platform_id,
                    li.platform_id,
                    li.fulfilled_quantity,
                    li.refunded_quantity,
                    li.restocked_quantity,
                )
            )
        for f in session.scalars(select(Fulfillment).where(Fulfillment.order_id == order.id)):
            flines = session.scalars(select(FulfillmentLine).where(FulfillmentLine.fulfillment_id == f.id))
            facts.append(
                (
                    "fulfillment",
                    order.platform_id,
                    f.platform_id,
                    f.state,
                    f.carrier,
                    f.tracking_number,
                    f.created_at,
                    f.delivered_at,
                    f.cancelled_at is not None,
                    sorted((lines[fl.line_item_id], fl.quantity) for fl in flines),
                )
            )
        for r in session.scalars(select(Refund).where(Refund.order_id == order.id)):
            rlines = session.scalars(select(RefundLine).where(RefundLine.refund_id == r.id))
            facts.append(
                (
                    "refund",
                    order.platform_id,
                    r.platform_id,
                    r.amount,
                    r.shipping_amount,
                    r.currency,
                    r.note,
                    r.actor,
                    r.expected_arrival_from,
                    r.expected_arrival_to,
                    r.created_at,
                    sorted((lines[rl.line_item_id], rl.quantity, rl.amount, rl.restock) for rl in rlines),
                )
            )
        for t in session.scalars(select(Transaction).where(Transaction.order_id == order.id)):
            refund = session.get(Refund, t.refund_id) if t.refund_id else None
            facts.append(
                (
                    "transaction",
                    order.platform_id,
                    t.platform_id,
                    t.kind,
                    t.status,
                    t.amount,
                    t.currency,
                    t.gateway,
                    t.gateway_reference,
                    t.fee,
                    t.created_at,
                    refund.platform_id if refund else None,
                )
            )
    return sorted(facts, key=repr)


def test_batched_shipments_and_refunds_store_what_the_one_by_one_path_stores(session: Session) -> None:
    batched_shop, careful_shop = make_shop(session, currency="NOK"), make_shop(session, currency="NOK")
    mapped = [map_order(o) for o in _history(4)]

    result = upsert_orders(session, batched_shop, mapped, source="import")
    for o in [map_order(o) for o in _history(4)]:
        shipments, refunds = o.fulfillments, o.refunds
        o.fulfillments, o.refunds = [], []
        created = upsert_orders(session, careful_shop, [o], source="import")
        order_id = created.order_ids[o.platform_id]
        apply_fulfillments(session, order_id, shipments, recount=False)
        apply_refunds(session, order_id, refunds, recount=False)

    assert (result.created, result.failed) == (4, [])
    batched = _snapshot(session, batched_shop)
    assert batched == _snapshot(session, careful_shop)
    kinds = [fact[0] for fact in batched]
    assert (kinds.count("fulfillment"), kinds.count("refund"), kinds.count("transaction")) == (4, 2, 6)


def test_a_refund_of_a_line_the_order_lacks_fails_that_order_with_the_reason(session: Session) -> None:
    shop = make_shop(session, currency="NOK")
    broken = _history(1)[0]
    broken["refunds"][0]["refund_line_items"][0]["line_item_id"] = 555

    result = upsert_orders(session, shop, [map_order(broken), map_order(_history(3)[2])], source="import")

    assert result.created == 2
    assert result.failed == [(0, "refund 70 names line items ['555'] that the order does not have")]
    refunds = session.scalars(select(Refund.platform_id).join(Order).where(Order.shop_id == shop.id)).all()
    assert refunds == ["72"]


def test_a_repeated_fulfillment_id_is_recorded_once_with_the_later_state(session: Session) -> None:
    shop = make_shop(session, currency="NOK")
    order = shopify_order(
        fulfillments=[_fulfillment(61, shipment_status="in_transit"), _fulfillment(61, status="cancelled")]
    )

    upsert_orders(session, shop, [map_order(order)], source="import")

    rows = session.execute(
        select(Fulfillment.platform_id, Fulfillment.state).join(Order).where(Order.shop_id == shop.id)
    ).all()
    assert [tuple(r) for r in rows] == [("61", "cancelled")]


def test_matches_any_finds_rows_by_more_values_than_sqlite_binds_in_one_list(session: Session) -> None:
    shop = make_shop(session, currency="NOK")
    upsert_orders(session, shop, [map_order(o) for o in _history(3)], source="import")
    wanted = ["900", "902", *(str(n) for n in range(10_000, 12_000))]

    found = session.scalars(
        select(Order.platform_id).where(
            Order.shop_id == shop.id, matches_any(session, Order.platform_id, wanted)
        )
    ).all()

    assert sorted(found) == ["900", "902"]


def test_sqlite_times_are_written_in_sqlalchemys_own_format() -> None:
    processor = UTCDateTime()._cached_bind_processor(pysqlite.dialect())
    assert processor is not None
    for value in (
        datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(5, 1, 2, 3, 4, 5, 7, tzinfo=UTC),
        datetime(2025, 3, 1, 0, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
    ):
        assert sqlite_time(value) == processor(value)
    with pytest.raises(ValueError, match="naive"):
        sqlite_time(datetime(2025, 1, 1))


def test_json_columns_read_back_the_values_written(session: Session) -> None:
    shop = make_shop(session, currency="NOK")
    order = shopify_order(tags="æøå, ✓", shipping_address={"address1": "Bjørkeveien 1 ✓", "city": "Tromsø"})

    upsert_orders(session, shop, [map_order(order)], source="import")

    stored = session.scalar(select(Order).where(Order.shop_id == shop.id))
    assert stored is not None
    session.refresh(stored)
    assert stored.tags == ["æøå", "✓"]
    assert stored.shipping_address == {"address1": "Bjørkeveien 1 ✓", "city": "Tromsø"}


def test_a_mapped_order_survives_the_trip_to_another_process() -> None:
    mapped = map_order(_history(1)[0])
    assert pickle.loads(pickle.dumps(mapped)) == mapped


def test_a_file_read_in_a_second_process_imports_the_same_and_resumes(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session, currency="NOK")
    session.commit()
    rows = [json.dumps(o) for o in _history(6)]
    rows.insert(3, "{not json")
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(rows))

    first = import_file(
        session, shop, "shopify", path, report_dir=tmp_path, batch_size=2, stop_after_batches=1, parallel=True
    )
    assert (first.rows_done, first.created) == (2, 2)
    run = import_file(session, shop, "shopify", path, report_dir=tmp_path, batch_size=2, parallel=True)

    assert run.id == first.id
    assert (run.status, run.rows_done, run.created, run.failed) == ("finished", 7, 6, 1)
    assert Path(run.report_path or "").read_text().splitlines()[1].startswith("4,not valid JSON")
    kinds = [fact[0] for fact in _snapshot(session, shop)]
    assert (kinds.count("fulfillment"), kinds.count("refund")) == (6, 3)


def _orders_and_customers(session: Session, shop: Shop) -> list[tuple[Any, ...]]:
    """A shop's stored orders and customers, ids and storeguard's own timestamps left out."""
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.shop_id == shop.id))}
    facts: list[tuple[Any, ...]] = [
        ("customer", c.platform_id, c.email, c.first_name, c.platform_updated_at) for c in customers.values()
    ]
    for o in session.scalars(select(Order).where(Order.shop_id == shop.id)):
        customer = customers[o.customer_id].platform_id if o.customer_id else None
        facts.append(
            (
                "order",
                o.platform_id,
                o.number,
                o.source,
                customer,
                o.total,
                o.financial_status,
                o.note,
                o.tags,
                o.shipping_address,
                o.card_last4,
                o.created_at,
                o.platform_updated_at,
            )
        )
    return sorted(facts, key=repr)


def test_two_processes_import_what_one_process_imports_also_when_interrupted_and_resumed(
    session: Session, tmp_path: Path
) -> None:
    one, two = make_shop(session, currency="NOK"), make_shop(session, currency="NOK")
    session.commit()
    history = _history(8)
    unusual = shopify_order(id=990, name="#990", refunds=[shopify_refund(id=991, order_id=990)])
    unusual["refunds"][0]["refund_line_items"][0]["line_item_id"] = (
        123  # a line it lacks: stored, refund refused
    )
    rows = [json.dumps(o) for o in history]
    rows.insert(3, "{not json")
    rows.append(json.dumps(unusual))
    rows.append(json.dumps({**history[0], "updated_at": "2025-06-01T00:00:00Z", "note": "edited"}))  # stored
    rows.append(json.dumps({**history[1], "id": 998}))  # a new order with a number already used: flagged
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(rows))

    runs = []
    for shop, parallel in ((one, False), (two, True)):
        first = import_file(
            session,
            shop,
            "shopify",
            path,
            report_dir=tmp_path / str(parallel),
            batch_size=3,
            stop_after_batches=2,
            parallel=parallel,
        )
        assert (first.status, first.rows_done, first.created, first.failed) == ("running", 6, 5, 1)
        again = import_file(
            session,
            shop,
            "shopify",
            path,
            report_dir=tmp_path / str(parallel),
            batch_size=3,
            parallel=parallel,
        )
        assert again.id == first.id
        runs.append(again)

    counts = [(r.status, r.rows_done, r.created, r.updated, r.skipped, r.failed) for r in runs]
    assert counts[0] == counts[1] == ("finished", 12, 10, 1, 0, 2)
    reports = [Path(r.report_path or "").read_text().splitlines() for r in runs]
    assert reports[0] == reports[1]
    assert [line.split(",")[0] for line in reports[0][1:]] == ["4", "10"]
    assert _orders_and_customers(session, one) == _orders_and_customers(session, two)
    assert _snapshot(session, one) == _snapshot(session, two)


def test_readers_taking_turns_import_each_row_once_when_interrupted_between_their_turns(
    session: Session, tmp_path: Path
) -> None:
    one, two = make_shop(session, currency="NOK"), make_shop(session, currency="NOK")
    session.commit()
    history = _history(9)
    rows = [json.dumps(o) for o in history]
    rows.insert(4, "{not json")
    rows.append(json.dumps({**history[2], "updated_at": "2025-06-01T00:00:00Z", "note": "edited"}))  # stored
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(rows))  # 11 rows: batches of 2, the last one alone

    runs = []
    for shop, parallel in ((one, False), (two, True)):
        report_dir = tmp_path / str(parallel)
        # Three batches: the interruption falls after the first reader's second turn.
        first = import_file(
            session,
            shop,
            "shopify",
            path,
            report_dir=report_dir,
            batch_size=2,
            stop_after_batches=3,
            parallel=parallel,
        )
        assert (first.rows_done, first.created, first.failed) == (6, 5, 1)
        runs.append(
            import_file(
                session, shop, "shopify", path, report_dir=report_dir, batch_size=2, parallel=parallel
            )
        )

    counts = [(r.status, r.rows_done, r.created, r.updated, r.skipped, r.failed) for r in runs]
    assert counts[0] == counts[1] == ("finished", 11, 9, 1, 0, 1)
    assert Path(runs[1].report_path or "").read_text().splitlines()[1:] == [
        "5,not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    ]
    assert _orders_and_customers(session, one) == _orders_and_customers(session, two)
    assert _snapshot(session, one) == _snapshot(session, two)


def test_returns_imports_are_refused_with_the_reason_and_blocklists_sent_to_the_lists_import(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session, currency="NOK")
    path = tmp_path / "x.csv"
    path.write_text("type,value\nemail,x@example.com\n")

    with pytest.raises(Invalid) as returns:
        import_file(session, shop, "returns", path, report_dir=tmp_path)
    with pytest.raises(Invalid) as blocklist:
        import_file(session, shop, "blocklist", path, report_dir=tmp_path)

    assert returns.value.code == "import_kind_unavailable"
    assert "no returns yet" in returns.value.message
    assert blocklist.value.code == "import_kind_elsewhere"
