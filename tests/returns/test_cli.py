"""``storeguard returns ...`` on the backend under test, as an operator would run it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.orders.fulfillments import fulfill_order
from storeguard.returns.models import Return
from tests.factories import FACTORY_ACTOR, make_product, make_shop, place_order

runner = CliRunner()


def _shipped(engine) -> tuple[int, int]:
    with Session(engine) as session:
        shop = make_shop(session, currency="NOK")
        order = place_order(session, shop, [(make_product(session, shop, price=20_000, stock=5), 2)])
        fulfill_order(session, order_id=order.id, actor=FACTORY_ACTOR)
        session.commit()
        return order.id, order.line_items[0].id


def test_an_operator_takes_a_return_from_request_to_refund(cli_db):
    order_id, line_id = _shipped(cli_db)

    opened = runner.invoke(
        app, ["returns", "request", str(order_id), "--line", f"{line_id}:2", "--reason", "size"]
    )
    with Session(cli_db) as session:
        rma = session.scalar(select(Return))
        rid, return_line = rma.id, rma.lines[0].id
    steps = [
        runner.invoke(app, ["returns", "authorize", str(rid)]),
        runner.invoke(app, ["returns", "receive", str(rid)]),
        runner.invoke(app, ["returns", "inspect", str(rid), "--condition", f"{return_line}:used"]),
        runner.invoke(app, ["returns", "refund", str(rid)]),
    ]

    assert opened.exit_code == 0, opened.output
    assert [s.exit_code for s in steps] == [0, 0, 0, 0], [s.output for s in steps]
    assert "partly_refunded  reason size  refunded 320.00 NOK" in steps[-1].output


def test_a_refused_step_exits_2_with_the_code_and_changes_nothing(cli_db):
    order_id, line_id = _shipped(cli_db)
    runner.invoke(app, ["returns", "request", str(order_id), "--line", f"{line_id}:1", "--reason", "size"])
    with Session(cli_db) as session:
        rid = session.scalar(select(Return.id))

    done = runner.invoke(app, ["returns", "receive", str(rid)])

    assert done.exit_code == 2
    assert "wrong_state" in done.output
    with Session(cli_db) as session:
        assert session.get(Return, rid).status == "requested"


def test_a_malformed_line_is_a_usage_error(cli_db):
    done = runner.invoke(app, ["returns", "request", "1", "--line", "7", "--reason", "size"])

    assert done.exit_code == 2
    assert "is not LINE_ID:QTY" in done.output
