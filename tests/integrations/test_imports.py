"""Bulk imports: Shopify files and CSVs, idempotent, resumable, with a bad-rows report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.customers.models import Customer
from storeguard.integrations.bulk.file_records import iter_json_records
from storeguard.integrations.bulk.service import import_file
from storeguard.orders.models import LineItem, Order, Refund
from storeguard.shops.models import Shop
from tests.conftest import shared_fixture
from tests.factories import make_shop
from tests.integrations.payloads import shopify_order


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _orders(n: int, start: int = 1) -> list[dict]:
    return [
        shopify_order(
            id=10_000 + i,
            name=f"#{i}",
            customer={
                "id": 50 + i % 3,
                "email": f"c{i % 3}@example.no",
                "updated_at": "2025-01-01T00:00:00Z",
            },
            line_items=[{"id": 90_000 + i, "title": "Sko", "quantity": 1, "price": "10.00"}],
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def shop(session: Session) -> Shop:
    shop = make_shop(session, currency="NOK")
    session.commit()
    return shop


def test_json_array_and_json_lines_stream_the_same_records(tmp_path: Path) -> None:
    records = _orders(3) + [{"id": 2**63 - 1, "note": "æøå ✓"}]
    array, lines = tmp_path / "a.json", tmp_path / "b.jsonl"
    array.write_text(json.dumps(records, indent=2, ensure_ascii=False))
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    from_array = [r.value for r in iter_json_records(array)]
    from_lines = [r.value for r in iter_json_records(lines)]
    assert from_array == from_lines == records
    assert from_array[-1]["id"] == 9223372036854775807


def test_json_array_reader_crosses_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storeguard.integrations.bulk import file_records as reader

    monkeypatch.setattr(reader, "CHUNK", 7)  # every record spans several reads, split mid-character too
    records = [{"n": i, "text": "blåbærsyltetøy" * i} for i in range(20)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(records, ensure_ascii=False))
    assert [r.value for r in reader.iter_json_records(path)] == records


def test_shopify_import_creates_then_a_rerun_skips_everything(
    session: Session, shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in _orders(25)))

    first = import_file(session, shop, "shopify", path, report_dir=tmp_path, batch_size=10)
    second = import_file(session, shop, "shopify", path, report_dir=tmp_path, batch_size=10)

    assert (first.created, first.updated, first.skipped, first.failed) == (25, 0, 0, 0)
    assert (second.created, second.updated, second.skipped, second.failed) == (0, 0, 25, 0)
    assert _count(session, Order) == 25
    assert _count(session, LineItem) == 25
    assert _count(session, Customer) == 3


def test_a_newer_version_in_a_later_file_updates_the_order(
    session: Session, shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "v1.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in _orders(2)))
    import_file(session, shop, "shopify", path, report_dir=tmp_path)
    newer = _orders(2)
    newer[0].update(updated_at="2025-04-01T00:00:00Z", note="edited", financial_status="refunded")
    path2 = tmp_path / "v2.jsonl"
    path2.write_text("\n".join(json.dumps(o) for o in newer))

    run = import_file(session, shop, "shopify", path2, report_dir=tmp_path)

    assert (run.created, run.updated, run.skipped) == (0, 1, 1)
    order = session.scalar(select(Order).where(Order.platform_id == "10001"))
    assert order is not None
    session.refresh(order)
    assert (order.note, order.financial_status) == ("edited", "refunded")
    assert _count(session, LineItem) == 2  # lines updated in place, not duplicated


def test_an_interrupted_import_resumes_after_the_last_committed_batch(
    session: Session, shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(_orders(30)))

    interrupted = import_file(
        session, shop, "shopify", path, report_dir=tmp_path, batch_size=10, stop_after_batches=2
    )
    assert (interrupted.status, interrupted.rows_done, _count(session, Order)) == ("running", 20, 20)
    resumed = import_file(session, shop, "shopify", path, report_dir=tmp_path, batch_size=10)

    assert resumed.id == interrupted.id
    assert (resumed.status, resumed.rows_done, resumed.created, resumed.skipped) == ("finished", 30, 30, 0)
    assert _count(session, Order) == 30


def test_bad_rows_go_to_the_report_with_row_and_reason_while_good_rows_go_in(
    session: Session, shop: Shop, tmp_path: Path
) -> None:
    good = _orders(3)
    rows = [
        json.dumps(good[0]),
        "{not json",
        json.dumps({**good[1], "total_price": "1.234"}),
        json.dumps({**good[2], "id": 1.5e17}),
        json.dumps({**_orders(1, 9)[0], "name": "#1"}),  # a name used before: stored, flagged
    ]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(rows))

    run = import_file(session, shop, "shopify", path, report_dir=tmp_path)

    assert (run.created, run.failed) == (2, 3)
    with open(run.report_path or "", newline="") as fh:
        report = list(csv.reader(fh))
    assert report[0] == ["row", "reason"]
    reasons = {int(r[0]): r[1] for r in report[1:]}
    assert sorted(reasons) == [2, 3, 4]
    assert "not valid JSON" in reasons[2]
    assert "total_price" in reasons[3]
    assert "floats lose digits" in reasons[4]
    assert sorted(session.execute(select(Order.number, Order.number_repeated)).all()) == [
        ("#1", False),
        ("#1", True),
    ]


def test_every_shopify_order_fixture_imports_from_a_file(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session, currency="USD")
    session.commit()
    orders = json.loads(shared_fixture("shopify/rest/orders.json").read_text())["orders"]
    single = json.loads(shared_fixture("shopify/rest/order.json").read_text())
    path = tmp_path / "fixtures.jsonl"
    path.write_text("\n".join([json.dumps(single)] + [json.dumps(o) for o in orders]))
    run = import_file(session, shop, "shopify", path, report_dir=tmp_path)
    assert run.failed == 0
    assert run.created + run.skipped + run.updated == 1 + len(orders)


WOO_HEADER = [
    "Order ID",
    "Order Number",
    "Order Date",
    "Order Status",
    "Order Currency",
    "Order Subtotal Amount",
    "Order Shipping Amount",
    "Order Total Tax Amount",
    "Cart Discount Amount",
    "Order Total Amount",
    "Billing Email Address",
    "Billing Phone",
    "Customer User ID",
    "Customer IP Address",
    "Billing First Name",
    "Billing Last Name",
    "Billing Address 1",
    "Billing City",
    "Billing Postcode",
    "Billing Country",
    "Item ID",
    "SKU",
    "Item Name",
    "Quantity",
    "Item Cost",
    "Payment Method Title",
]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_woocommerce_order_export_imports_with_the_preset(
    session: Session, shop: Shop, tmp_path: Path
) -> None:
    base = ["Oslo", "0155", "NO"]
    rows = [
        [
            "501",
            "501",
            "2025-02-01T10:00:00+00:00",
            "wc-completed",
            "NOK",
            "300.00",
            "49.00",
            "75.00",
            "0.00",
            "424.00",
            "kari@example.no",
            "+4790000000",
            "17",
            "203.0.113.9",
            "Kari",
            "Nordmann",
            "Storgata 2",
            *base,
            "11",
            "SKO-1",
            "Sko",
            "1",
            "200.00",
            "Vipps",
        ],
        [
            "501",
            "501",
            "2025-02-01T10:00:00+00:00",
            "wc-completed",
            "NOK",
            "300.00",
            "49.00",
            "75.00",
            "0.00",
            "424.00",
            "kari@example.no",
            "+4790000000",
            "17",
            "203.0.113.9",
            "Kari",
            "Nordmann",
            "Storgata 2",
            *base,
            "12",
            "SOKK-1",
            "Sokker",
            "2",
            "50.00",
            "Vipps",
        ],
        [
            "502",
            "502",
            "2025-02-02T10:00:00+00:00",
            "cancelled",
            "NOK",
            "100.00",
            "0.00",
            "0.00",
            "0.00",
            "100.00",
            "guest@example.no",
            "",
            "0",
            "",
            "Gjest",
            "",
            "",
            *base,
            "13",
            "X",
            "Lue",
            "1",
            "100.00",
            "",
        ],
        [
            "503",
            "503",
            "2025-02-03T10:00:00+00:00",
            "wc-mystery",
            "NOK",
            "1.00",
            "0",
            "0",
            "0",
            "1.00",
            "",
            "",
            "0",
            "",
            "",
            "",
            "",
            *base,
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    path = _csv(tmp_path / "woo.csv", WOO_HEADER, rows)

    run = import_file(session, shop, "orders", path, report_dir=tmp_path, preset="woocommerce")

    assert (run.created, run.failed) == (2, 1)
    first = session.scalar(select(Order).where(Order.platform_id == "501"))
    assert first is not None
    assert (
        first.number,
        first.total,
        first.shipping,
        first.tax,
        first.financial_status,
        first.fulfillment_status,
    ) == ("#501", 42400, 4900, 7500, "paid", "fulfilled")
    assert (first.browser_ip, first.email) == ("203.0.113.9", "kari@example.no")
    assert first.billing_address == {
        "first_name": "Kari",
        "last_name": "Nordmann",
        "address1": "Storgata 2",
        "city": "Oslo",
        "zip": "0155",
        "country_code": "NO",
    }
    lines = list(session.scalars(select(LineItem).where(LineItem.order_id == first.id).order_by(LineItem.id)))
    assert [(li.sku, li.quantity, li.unit_price) for li in lines] == [
        ("SKO-1", 1, 20000),
        ("SOKK-1", 2, 5000),
    ]
    guest = session.scalar(select(Order).where(Order.platform_id == "502"))
    assert guest is not None and (guest.status, guest.customer_id) == ("cancelled", None)
    with open(run.report_path or "", newline="") as fh:
        assert list(csv.reader(fh))[1] == ["5", "WooCommerce status 'mystery' is unknown"]


def test_csv_customers_and_refunds_import(session: Session, shop: Shop, tmp_path: Path) -> None:
    customers = _csv(
        tmp_path / "c.csv",
        ["id", "email", "first_name", "last_name", "state", "tags"],
        [
            ["c1", "a@example.no", "Ada", "Berg", "enabled", "vip"],
            ["c2", "b@example.no", "Bo", "Dahl", "blocked", ""],
        ],
    )
    run = import_file(session, shop, "customers", customers, report_dir=tmp_path)
    assert (run.created, run.failed) == (1, 1)

    orders = _csv(
        tmp_path / "o.csv",
        [
            "order_id",
            "number",
            "currency",
            "total",
            "financial_status",
            "line_id",
            "title",
            "quantity",
            "unit_price",
        ],
        [["o1", "1001", "NOK", "300.00", "paid", "l1", "Sko", "3", "100.00"]],
    )
    import_file(session, shop, "orders", orders, report_dir=tmp_path)
    refunds = _csv(
        tmp_path / "r.csv",
        ["refund_id", "order_id", "amount", "line_id", "quantity", "line_amount", "restock"],
        [
            ["r1", "o1", "200.00", "l1", "2", "200.00", "true"],
            ["r2", "o-missing", "1.00", "", "", "", ""],
        ],
    )
    first = import_file(session, shop, "refunds", refunds, report_dir=tmp_path)
    again = import_file(session, shop, "refunds", refunds, report_dir=tmp_path)

    assert (first.created, first.failed, again.created, again.skipped) == (1, 1, 0, 1)
    refund = session.scalar(select(Refund))
    assert refund is not None and (refund.amount, refund.currency) == (20000, "NOK")
    assert [(rl.quantity, rl.restock) for rl in refund.lines] == [(2, True)]


def test_unknown_kind_or_preset_is_refused(session: Session, shop: Shop, tmp_path: Path) -> None:
    path = _csv(tmp_path / "x.csv", ["id"], [["1"]])
    with pytest.raises(Invalid) as kind:
        import_file(session, shop, "invoices", path, report_dir=tmp_path)
    with pytest.raises(Invalid) as preset:
        import_file(session, shop, "customers", path, report_dir=tmp_path, preset="woocommerce")
    assert (kind.value.code, preset.value.code) == ("import_kind_unknown", "import_preset_unknown")
