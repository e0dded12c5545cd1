"""The import's reader: every record once, resumable, and what it reads is stored as given."""

from __future__ import annotations

import json
from itertools import zip_longest
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.customers.models import Customer
from storeguard.integrations.bulk.file_records import iter_json_records, record_batches
from storeguard.integrations.bulk.service import import_file
from storeguard.orders.models import LineItem, Order
from storeguard.shops.models import Product
from tests.factories import make_shop
from tests.integrations.payloads import shopify_order


def test_a_resumed_read_yields_the_same_records_after_the_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text('{"id": 1}\n{broken\n\n{"id": 3}\n{"id": 4}\n')

    whole = [(r.row, r.value, r.error, r.offset) for r in iter_json_records(path)]
    resumed = [(r.row, r.value, r.error, r.offset) for r in iter_json_records(path, skip_through=2)]

    assert resumed == [record for record in whole if record[0] > 2]
    assert [row for row, *_ in resumed] == [3, 4]


def _history() -> list[dict[str, Any]]:
    """Orders whose text holds what COPY text escapes, and orders with nothing to escape."""
    orders = []
    for i in range(4):
        order = shopify_order(
            id=700 + i,
            name=f"#{700 + i}",
            note="first line\nsecond\tcolumn \\ backslash" if i % 2 else "ring the bell",
            customer={
                "id": 80 + i,
                "first_name": 'Ola "the runner"' if i % 2 else "Kari",
                "last_name": "Nordmann",
                "email": f"c{i}@example.no",
                "updated_at": "2025-01-01T00:00:00Z",
            },
            shipping_address={
                "address1": "Storgata 1\r\nOppgang B" if i % 2 else "Bjørkeveien 1",
                "city": "Tromsø",
            },
        )
        order["line_items"][0]["id"] = 9000 + i
        orders.append(order)
    return orders


def _stored(session: Session, shop_id: int) -> list[tuple[Any, ...]]:
    rows = session.execute(
        select(Order.platform_id, Order.note, Order.shipping_address, Order.tags, Customer.first_name)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.shop_id == shop_id)
        .order_by(Order.platform_id)
    )
    return [tuple(r) for r in rows]


def test_text_with_tabs_newlines_quotes_and_backslashes_is_stored_as_given(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session, currency="NOK")
    session.commit()
    history = _history()
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in history))

    run = import_file(session, shop, "shopify", path, report_dir=tmp_path, parallel=False)

    assert (run.created, run.failed) == (4, 0)
    stored = _stored(session, shop.id)
    assert stored[1] == (
        "701",
        "first line\nsecond\tcolumn \\ backslash",
        {"address1": "Storgata 1\r\nOppgang B", "city": "Tromsø"},
        ["vip", "repeat"],
        'Ola "the runner"',
    )
    assert stored[0][1:3] == ("ring the bell", {"address1": "Bjørkeveien 1", "city": "Tromsø"})


def test_a_file_with_and_one_without_escapes_in_its_text_store_the_same(
    session: Session, tmp_path: Path
) -> None:
    escaped, raw = make_shop(session, currency="NOK"), make_shop(session, currency="NOK")
    session.commit()
    history = [o for o in _history() if "\\" not in json.dumps(o, ensure_ascii=False)]
    assert history  # orders whose text, written as UTF-8, has no backslash at all
    for shop, ascii_only in ((escaped, True), (raw, False)):
        path = tmp_path / f"orders-{ascii_only}.jsonl"
        path.write_text("\n".join(json.dumps(o, ensure_ascii=ascii_only) for o in history))
        import_file(session, shop, "shopify", path, report_dir=tmp_path, parallel=False)

    assert _stored(session, escaped.id) == _stored(session, raw.id)
    assert len(_stored(session, raw.id)) == len(history)


def test_lines_name_the_shops_product_when_it_is_mirrored_and_none_otherwise(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session, currency="NOK")
    product = Product(shop_id=shop.id, platform_id="7001", sku="JOG-42", title="Joggesko", price=64975)
    session.add(product)
    session.commit()
    known, unknown = shopify_order(id=801, name="#801"), shopify_order(id=802, name="#802")
    known["line_items"][0]["id"], unknown["line_items"][0]["id"] = 9801, 9802
    unknown["line_items"][0]["product_id"] = 7999
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in (known, unknown)))

    import_file(session, shop, "shopify", path, report_dir=tmp_path, parallel=False)

    lines = session.execute(
        select(LineItem.platform_id, LineItem.product_id)
        .join(Order)
        .where(Order.shop_id == shop.id)
        .order_by(LineItem.platform_id)
    )
    assert [tuple(r) for r in lines] == [("9801", product.id), ("9802", None)]


def _positions(batches: list[list[Any]]) -> list[list[tuple[int, int, str | None]]]:
    return [[(r.row, r.offset, r.error) for r in batch] for batch in batches]


def test_readers_taking_turns_read_every_batch_once_between_them(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text(
        "\n".join([json.dumps({"id": i}) if i != 4 else "{broken" for i in range(1, 12)]) + "\n\n"
    )

    for skip in (0, 3):
        one = _positions(list(record_batches(path, skip_through=skip, batch_size=2)))
        turns = [
            _positions(list(record_batches(path, skip_through=skip, batch_size=2, part=k, parts=2)))
            for k in (0, 1)
        ]
        merged = [batch for pair in zip_longest(*turns) for batch in pair if batch is not None]
        assert merged == one
        assert [row for batch in merged for row, _, _ in batch] == list(range(skip + 1, 12))


def test_a_json_array_is_read_by_one_reader_only(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('[{"id": 1}, {"id": 2}]')

    with pytest.raises(ValueError, match="one reader"):
        list(record_batches(path, batch_size=1, part=0, parts=2))
