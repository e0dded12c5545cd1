"""The block, unblock, customers links and lists import/export commands, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app
from storeguard.core.config import get_settings
from storeguard.customers.models import Customer
from storeguard.lists.models import CustomerBlock, ListEntry
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import arrive

runner = CliRunner()


@pytest.fixture
def cli_db(committing_engine, monkeypatch):  # noqa: ANN001, ANN201
    """Point the CLI at the backend under test; tables are emptied afterwards."""
    monkeypatch.setenv("STOREGUARD_DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield committing_engine
    get_settings.cache_clear()


def _two_linked_customers(engine) -> tuple[int, int]:  # noqa: ANN001
    with Session(engine) as session:
        shop = make_shop(session, country="NO", currency="NOK")
        a = make_customer(session, shop, email="a@example.no")
        b = make_customer(session, shop, email="b@example.no")
        arrive(session, make_order(session, shop, customer=a, phone="91234567"))
        arrive(session, make_order(session, shop, customer=b, phone="+4791234567"))
        session.commit()
        return a.id, b.id


def test_block_links_and_unblock_from_the_command_line(cli_db) -> None:  # noqa: ANN001
    a, b = _two_linked_customers(cli_db)

    links = runner.invoke(app, ["customers", "links", str(b)])
    refused = runner.invoke(app, ["block", str(a), "--reason", "fraud", "--justification", "short"])
    blocked = runner.invoke(
        app,
        ["block", str(a), "--reason", "chargeback_abuse", "--note", "disputed #1001", "--disable-account"],
    )
    unblocked = runner.invoke(app, ["unblock", str(a), "--reason", "bank error"])
    again = runner.invoke(app, ["unblock", str(a), "--reason", "bank error"])

    assert links.exit_code == 0, links.output
    assert f"#{a}: shares phone +4791234567 with customer #{a}" in links.output
    assert refused.exit_code == 2 and "justification_required" in refused.output
    assert blocked.exit_code == 0, blocked.output
    assert unblocked.exit_code == 0, unblocked.output
    assert again.exit_code == 2 and "customer_not_blocked" in again.output
    with Session(cli_db) as session:
        assert session.scalar(select(CustomerBlock.status)) == "lifted"
        assert session.get(Customer, a).state == "enabled"


def test_lists_import_then_export(cli_db, tmp_path) -> None:  # noqa: ANN001
    _two_linked_customers(cli_db)
    good = tmp_path / "good.csv"
    good.write_text(
        "type,value,reason_code,evidence_notes\nemail,X@Example.no,fraud,old list\nip,192.0.2.1,fraud,old list\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "type,value,reason_code,evidence_notes\nemail,x2@example.no,fraud,old list\nphone,12,fraud,x\n"
    )

    imported = runner.invoke(app, ["lists", "import", str(good)])
    refused = runner.invoke(app, ["lists", "import", str(bad)])
    exported = runner.invoke(app, ["lists", "export"])

    assert imported.exit_code == 0, imported.output
    assert "2 rows: 2 entries created" in imported.output
    assert refused.exit_code == 2 and "row 3" in refused.output
    assert exported.stdout.splitlines()[0].startswith("id,kind,type,value")
    assert "x@example.no" in exported.stdout and "x2@example.no" not in exported.stdout
    with Session(cli_db) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)) == 2


def test_lists_add_refuses_a_broad_entry_until_confirmed_with_the_flag(cli_db) -> None:  # noqa: ANN001
    _two_linked_customers(cli_db)
    add = ["lists", "add", "cidr", "0.0.0.0/0", "--reason", "fraud", "--note", "testing the gate"]

    refused = runner.invoke(app, add)
    with Session(cli_db) as session:
        count = session.scalar(select(func.count()).select_from(ListEntry))
    confirmed = runner.invoke(app, [*add, "--confirm-broad"])
    narrow = runner.invoke(app, ["lists", "add", "ip", "192.0.2.1", "--reason", "fraud", "--note", "x"])

    assert refused.exit_code == 2 and "entry_too_broad" in refused.output
    assert "--confirm-broad" in refused.output
    assert count == 0
    assert confirmed.exit_code == 0, confirmed.output
    assert "block cidr 0.0.0.0/0" in confirmed.output
    assert narrow.exit_code == 0, narrow.output
    with Session(cli_db) as session:
        assert session.scalars(select(ListEntry.value).order_by(ListEntry.id)).all() == [
            "0.0.0.0/0",
            "192.0.2.1",
        ]
