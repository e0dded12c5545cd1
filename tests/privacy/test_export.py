"""A customer's export: everything held about them, by part, and the export recorded."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cli import app as cli
from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.lists.blocking import block_customer
from storeguard.privacy.service import customer_export
from tests.factories import FACTORY_ACTOR, make_customer, make_order, make_shop


@pytest.fixture
def kari(session):
    shop = make_shop(session, currency="NOK")
    kari = make_customer(session, shop, first_name="Kari", email="kari@example.com")
    order = make_order(session, shop, customer=kari)
    block_customer(
        session,
        customer_id=kari.id,
        actor=FACTORY_ACTOR,
        reason_code="fraud",
        evidence={"order_ids": [order.id]},
    )
    session.flush()
    return kari


def _exported(session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "customer.exported")
    )


def test_the_export_gives_the_customers_orders_blocks_and_audit_entries(client, auth, session, kari):
    answer = client.get(f"/v1/customers/{kari.id}/export", headers=auth(Role.admin)).json()

    parts = answer["parts"]
    assert (parts["customer"]["email"], parts["customer"]["first_name"]) == ("kari@example.com", "Kari")
    assert [o["customer_id"] for o in parts["orders"]] == [kari.id]
    assert [b["reason_code"] for b in parts["blocks"]] == ["fraud"]
    assert "customer.blocked" in [e["action"] for e in parts["audit"]]


def test_the_export_lists_every_domains_part(session, kari):
    export = customer_export(session, kari.id)

    assert sorted(export["parts"]) == [
        "audit",
        "blocks",
        "cancellation_requests",
        "customer",
        "disputes",
        "identifiers",
        "linked_customer_ids",
        "list_entries",
        "messages",
        "orders",
        "returns",
        "risk",
        "screening",
    ]


def test_the_export_is_recorded_with_its_parts_not_their_content(client, auth, session, kari):
    client.get(f"/v1/customers/{kari.id}/export", headers=auth(Role.admin))

    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.exported"))
    assert (
        event.subject_id,
        "orders" in event.data["parts"],
        "kari@example.com" in json.dumps(event.data),
    ) == (
        str(kari.id),
        True,
        False,
    )


def test_a_viewer_may_not_export_and_nothing_is_recorded(client, auth, session, kari):
    answer = client.get(f"/v1/customers/{kari.id}/export", headers=auth(Role.viewer))

    assert answer.status_code == 403
    assert _exported(session) == 0


def test_an_unknown_customer_is_a_404(client, auth, session, kari):
    answer = client.get("/v1/customers/999999/export", headers=auth(Role.admin))

    assert (answer.status_code, answer.json()["code"]) == (404, "customer_not_found")
    assert _exported(session) == 0


def test_the_command_writes_the_export_to_a_file(cli_db, tmp_path):
    with Session(cli_db) as session:
        shop = make_shop(session)
        customer = make_customer(session, shop, email="ola@example.com")
        session.commit()
        customer_id = customer.id
    out = tmp_path / "ola.json"

    result = CliRunner().invoke(cli, ["privacy", "export", str(customer_id), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["parts"]["customer"]["email"] == "ola@example.com"
