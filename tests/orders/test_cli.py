"""``storeguard orders ...`` against a SQLite file, as an operator would run it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.core.config import get_settings
from storeguard.core.db import Base, make_engine
from storeguard.orders.models import Order
from storeguard.shops.models import Product
from tests.factories import make_product, make_shop, place_order

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch) -> Iterator[Session]:
    """A fresh SQLite file the CLI is pointed at, and a session on it for setup and checks."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def placed(db: Session) -> Order:
    shop = make_shop(db)
    order = place_order(db, shop, [(make_product(db, shop, sku="CAP", price=2500, stock=5), 2)], shipping=500)
    db.commit()
    return order


def _run(*args: str):  # noqa: ANN202
    from storeguard.cli import app

    return runner.invoke(
        app, list(args), env={"COLUMNS": "200"}
    )  # wide enough that rich does not wrap errors


def _fresh(db: Session, order: Order) -> Order:
    db.expire_all()
    return db.scalars(select(Order).where(Order.id == order.id)).one()


def test_orders_show_prints_lines_and_ledger(placed):
    result = _run("orders", "show", str(placed.id))
    assert result.exit_code == 0, result.output
    assert f"order {placed.number}" in result.output
    assert "2 x CAP" in result.output
    assert "captured 55.00 USD" in result.output


def test_orders_show_prints_what_the_buyer_wrote_on_a_line(db, placed):
    placed.line_items[0].properties = [{"name": "Engraving", "value": "[K & O] 2026"}]
    db.commit()

    result = _run("orders", "show", str(placed.id))

    assert result.exit_code == 0, result.output
    assert "    Engraving: [K & O] 2026\n" in result.output


def test_orders_list_filters(placed):
    result = _run("orders", "list", "--financial-status", "paid")
    assert result.exit_code == 0, result.output
    assert placed.number in result.output and "1 of 1 order(s)" in result.output
    assert "0 of 0 order(s)" in _run("orders", "list", "--status", "cancelled").output


def test_orders_refund_by_line_with_restock_and_shipping(db, placed):
    line_id = placed.line_items[0].id
    result = _run(
        "orders",
        "refund",
        str(placed.id),
        "--line",
        f"{line_id}:1:restock",
        "--shipping",
        "500",
        "--reason",
        "returned",
        "--note",
        "RMA 9",
    )
    assert result.exit_code == 0, result.output
    assert "refunded 30.00 USD" in result.output
    order = _fresh(db, placed)
    assert order.financial_status == "partially_refunded"
    assert db.scalars(select(Product.stock)).one() == 4


def test_orders_cancel_with_refund_and_restock(db, placed):
    result = _run(
        "orders",
        "cancel",
        str(placed.id),
        "--reason",
        "fraud",
        "--refund",
        "--restock",
        "--note",
        "chargeback risk",
    )
    assert result.exit_code == 0, result.output
    assert "refunded 55.00 USD" in result.output
    order = _fresh(db, placed)
    assert (order.status, order.financial_status, order.cancel_reason) == ("cancelled", "refunded", "fraud")
    assert db.scalars(select(Product.stock)).one() == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders", "cancel", "{id}", "--reason", "customer", "--refund"], "already_cancelled"),
        (["orders", "refund", "{id}", "--amount", "999999"], "refund_exceeds_captured"),
        (["orders", "refund", "{id}", "--line", "abc"], "LINE_ID:QTY"),
        (["orders", "refund", "{id}", "--line", "{line}:1:keep"], "LINE_ID:QTY"),
        (["orders", "refund", "{id}", "--amount", "10.5"], "Invalid value for '--amount'"),
        (["orders", "refund", "{id}", "--amount", "-1"], "Invalid value for '--amount'"),
        (["orders", "cancel", "{id}", "--reason", "bored"], "bored"),
        (["orders", "show", "987654"], "order_not_found"),
    ],
)
def test_orders_commands_refuse_with_a_clear_error_and_exit_2(db, placed, args, message):
    if message == "already_cancelled":
        assert _run("orders", "cancel", str(placed.id), "--reason", "customer").exit_code == 0
    before = _fresh(db, placed)
    state = (before.status, before.financial_status, len(before.refunds))
    line_id = str(placed.line_items[0].id)
    db.commit()  # end the read: an open transaction on the file would hold the CLI's write waiting

    result = _run(*[a.replace("{id}", str(placed.id)).replace("{line}", line_id) for a in args])

    assert result.exit_code == 2, result.output
    assert message in result.output
    after = _fresh(db, placed)
    assert (after.status, after.financial_status, len(after.refunds)) == state


def test_every_orders_command_has_help():
    for command in ("show", "list", "cancel", "refund"):
        result = _run("orders", command, "--help")
        assert result.exit_code == 0
        assert "Usage" in result.output
    assert (
        "Cancel an order. It moves no money unless --refund is given."
        in _run("orders", "cancel", "--help").output
    )


def test_reindex_of_a_shop_that_does_not_exist_is_refused_not_reported_as_zero_orders(
    db: Session, placed: Order
) -> None:
    result = _run("orders", "reindex-identifiers", "--shop", "987654")

    assert (result.exit_code, "shop_not_found: no shop 987654" in result.output) == (2, True), result.output
