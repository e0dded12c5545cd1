"""A customer's export: everything held about them, by part, and the export recorded."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.appeals.actions import Upload, submit_appeal
from storeguard.cases.actions import receive_email
from storeguard.cases.conduct_actions import place_legal_hold
from storeguard.cases.inbound import parse_mail
from storeguard.cli import app as cli
from storeguard.core.actor import Actor
from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.lists.blocking import appeal_url, block_customer
from storeguard.lists.models import CustomerBlock
from storeguard.privacy.service import customer_export
from tests.appeals.helpers import PDF
from tests.cases.mails import raw_mail
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
        "appeals",
        "audit",
        "blocks",
        "cancellation_requests",
        "cases",
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
        "sent_notices",
    ]


def test_the_export_gives_their_cases_with_messages_incidents_and_legal_holds(session, kari):
    case, _ = receive_email(
        session,
        shop_id=kari.shop_id,
        mail=parse_mail(raw_mail("Faen ta dere, jævla idioter!", sender="Kari <kari@example.com>")),
        actor=Actor("webhook", "mail-relay"),
    )
    hold = place_legal_hold(
        session, customer_id=kari.id, case_id=case.id, actor=FACTORY_ACTOR, reason="lawyer"
    )

    cases = customer_export(session, kari.id)["parts"]["cases"]

    [exported] = cases["cases"]
    assert (exported["id"], [e["kind"] for e in exported["entries"]]) == (case.id, ["inbound", "outbound"])
    assert exported["entries"][0]["body"] == "Faen ta dere, jævla idioter!"
    assert [(i["category"], i["outcome"]) for i in cases["conduct_incidents"]] == [("abuse", "warned")]
    assert ([h["id"] for h in cases["legal_holds"]], cases["block_proposals"]) == ([hold.id], [])


def test_the_export_gives_their_appeals_with_the_files_they_sent_and_every_notice_sent_to_them(session, kari):
    block = session.scalars(select(CustomerBlock).where(CustomerBlock.customer_id == kari.id)).one()
    link = appeal_url(block).rsplit("/", 1)[1]
    appeal = submit_appeal(session, link=link, message="Jeg har ikke svindlet", files=[Upload("r.pdf", PDF)])

    parts = customer_export(session, kari.id)["parts"]

    [exported] = parts["appeals"]
    [attachment] = exported["attachments"]
    assert (exported["id"], exported["message"]) == (appeal.id, "Jeg har ikke svindlet")
    assert (attachment["filename"], base64.b64decode(attachment["data_base64"])) == ("r.pdf", PDF)
    assert "data" not in attachment
    assert [(n["kind"], n["to"], n["status"]) for n in parts["sent_notices"]] == [
        ("block_notice", "kari@example.com", "pending"),
        ("appeal_received", "kari@example.com", "pending"),
    ]
    assert "appeal" in parts["sent_notices"][0]["text"]


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
