"""Disputes listed by Stripe and Square, imported from a file onto their orders, as their webhooks would record them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.actor import CLI
from storeguard.disputes.models import Dispute
from storeguard.integrations.bulk.disputes import import_disputes
from storeguard.orders.models import Transaction
from tests.conftest import shared_fixture
from tests.factories import make_order, make_shop


def _paid_by(session: Session, shop, reference: str, gateway: str):
    order = make_order(session, shop)
    session.add(
        Transaction(
            order_id=order.id,
            kind="sale",
            amount=1000,
            currency="NOK",
            gateway=gateway,
            gateway_reference=reference,
        )
    )
    session.commit()
    return order


def _file(tmp_path: Path, rows: list) -> Path:
    path = tmp_path / "disputes.json"
    path.write_text(json.dumps(rows))
    return path


def test_a_listed_stripe_dispute_lands_on_the_order_its_charge_paid(session: Session, tmp_path: Path) -> None:
    dispute = json.loads(
        shared_fixture("stripe", "dj-stripe", "objects", "dispute_dp_fakefakefakefake01.json").read_text()
    )
    shop = make_shop(session, currency="NOK")
    order = _paid_by(session, shop, dispute["charge"], "stripe")

    result = import_disputes(session, shop, _file(tmp_path, [dispute]), gateway="stripe", actor=CLI)

    stored = session.scalar(select(Dispute))
    assert (result.recorded, result.without_order, result.failed) == (1, 0, [])
    assert (stored.gateway, stored.gateway_dispute_id, stored.order_id, stored.amount, stored.status) == (
        "stripe",
        dispute["id"],
        order.id,
        dispute["amount"],
        "needs_response",
    )


def test_a_square_dispute_on_no_known_payment_is_kept_unmatched(session: Session, tmp_path: Path) -> None:
    event = json.loads(shared_fixture("square", "DisputeCreatedEvent.json").read_text())
    shop = make_shop(session, currency="USD")

    result = import_disputes(
        session, shop, _file(tmp_path, [event["data"]["object"]["dispute"]]), gateway="square", actor=CLI
    )

    stored = session.scalar(select(Dispute))
    assert (result.recorded, result.without_order) == (1, 1)
    assert (stored.gateway, stored.order_id, stored.amount, stored.currency) == ("square", None, 8801, "USD")


def test_the_same_file_imported_twice_is_one_dispute(session: Session, tmp_path: Path) -> None:
    dispute = json.loads(
        shared_fixture("stripe", "dj-stripe", "objects", "dispute_dp_fakefakefakefake01.json").read_text()
    )
    shop = make_shop(session, currency="NOK")
    path = _file(tmp_path, [dispute])

    import_disputes(session, shop, path, gateway="stripe", actor=CLI)
    import_disputes(session, shop, path, gateway="stripe", actor=CLI)

    assert session.scalar(select(func.count()).select_from(Dispute)) == 1


def test_a_row_that_is_no_stripe_dispute_is_refused_with_its_row_and_nothing_stored(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session, currency="NOK")

    result = import_disputes(
        session, shop, _file(tmp_path, [{"object": "charge"}]), gateway="stripe", actor=CLI
    )

    assert (result.recorded, [row for row, _ in result.failed]) == (0, [1])
    assert session.scalar(select(func.count()).select_from(Dispute)) == 0


def test_the_command_refuses_an_unknown_gateway(tmp_path: Path) -> None:
    answer = CliRunner().invoke(
        app, ["import", "disputes", str(_file(tmp_path, [])), "--shop", "x.example", "--gateway", "adyen"]
    )

    assert answer.exit_code == 2
    assert "shopify, stripe, square, paypal" in answer.output
