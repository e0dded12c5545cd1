"""Erasure on request: personal data gone everywhere, a block still stops the person, the audit chain whole."""

from __future__ import annotations

import pytest
from sqlalchemy import String, Text, cast, func, or_, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from storeguard.cases.models import LegalHold
from storeguard.cli import app as cli
from storeguard.core.audit import verify_chains
from storeguard.core.config import get_settings
from storeguard.core.db import Base
from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.core.pseudonyms import PREFIX, hashed_keys, keyed_hash
from storeguard.core.pseudonyms import erasure_key as erasure_key_bytes
from storeguard.customers.models import Customer, Identifier
from storeguard.lists.blocking import block_customer
from storeguard.lists.models import ListEntry
from storeguard.orders.models import Order
from tests.factories import FACTORY_ACTOR
from tests.screening.support import make_store, new_customer, past_order

EMAIL, PHONE, SURNAME = "kari.nordmann@example.com", "+4791234567", "Nordmann"


@pytest.fixture
def erasure_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STOREGUARD_ERASURE_KEY", "a secret kept apart from the database")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def store(session: Session):
    return make_store(session)


@pytest.fixture
def kari(session: Session, store) -> Customer:
    """A customer blocked for fraud, with every identifier she used blocked with her."""
    kari = new_customer(session, store, first_name="Kari", last_name=SURNAME, email=EMAIL, phone=PHONE)
    order = past_order(session, store, kari, phone=PHONE, browser_ip="203.0.113.9", note="ring first")
    block_customer(
        session,
        customer_id=kari.id,
        actor=FACTORY_ACTOR,
        reason_code="fraud",
        evidence={"order_ids": [order.id]},
    )
    session.flush()
    return kari


def _rows_mentioning(session: Session, *words: str) -> dict[str, int]:
    """Every table's rows whose text or JSON holds one of the words: the raw rows, not the models."""
    found = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text) or "JSON" in repr(c.type)]
        if not columns:
            continue
        hits = or_(*(cast(c, Text).contains(w) for c in columns for w in words))
        count = session.scalar(select(func.count()).select_from(table).where(hits))
        if count:
            found[table.name] = count
    return found


def _erase(
    client, auth, customer_id: int, role: Role = Role.admin, reason: str = "her request of 1 December"
):
    return client.post(f"/v1/customers/{customer_id}/erase", headers=auth(role), json={"reason": reason})


def test_an_erased_blocked_customers_phone_still_blocks_a_new_checkout(
    client, auth, session, store, kari, erasure_key
):
    assert _erase(client, auth, kari.id).status_code == 200

    answer = client.post(
        "/v1/screen",
        headers=auth(Role.owner),
        json={
            "shop_id": store.shop.id,
            "currency": "NOK",
            "email": "someone.new@example.net",
            "phone": PHONE,
            "lines": [{"sku": "SHIRT", "quantity": 1}],
        },
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "block"


def test_after_erasure_her_name_email_and_phone_are_in_no_row_of_the_database(
    client, auth, session, kari, erasure_key
):
    before = _rows_mentioning(session, EMAIL, SURNAME, PHONE)

    _erase(client, auth, kari.id)

    assert before != {} and _rows_mentioning(session, EMAIL, SURNAME, PHONE) == {}


def test_the_blocked_phone_is_kept_only_as_a_keyed_hash(client, auth, session, kari, erasure_key):
    _erase(client, auth, kari.id)

    phones = session.execute(
        select(ListEntry.value, ListEntry.display).where(
            ListEntry.customer_id == kari.id, ListEntry.type == "phone"
        )
    ).all()
    kept = session.scalars(select(Identifier.value).where(Identifier.customer_id == kari.id)).all()
    assert [(v.startswith(PREFIX), len(v), d) for v, d in phones] == [(True, len(PREFIX) + 64, "")]
    assert kept and all(v.startswith(PREFIX) for v in kept)


def test_orders_keep_their_amounts_and_lose_the_persons_data(client, auth, session, kari, erasure_key):
    order = session.scalar(select(Order).where(Order.customer_id == kari.id))
    total = order.total

    _erase(client, auth, kari.id)

    session.refresh(order)
    assert (order.total, order.email, order.phone, order.browser_ip, order.note, order.shipping_address) == (
        total,
        None,
        None,
        None,
        None,
        None,
    )


def test_the_customer_is_marked_erased_and_the_erasure_recorded_without_her_data(
    client, auth, session, kari, erasure_key
):
    answer = _erase(client, auth, kari.id, reason="Kari Nordmann asked by mail")

    session.refresh(kari)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.erased"))
    assert answer.json()["erased"]["customer"] == 1
    assert (kari.erased_at is not None, kari.email, kari.first_name, kari.last_name) == (True, None, "", "")
    assert (event.subject_id, event.reason) == (str(kari.id), "[erased] asked by mail")
    assert SURNAME not in str(event.data)


def test_the_audit_chain_verifies_after_erasure_with_the_old_events_redacted(
    client, auth, session, kari, erasure_key
):
    _erase(client, auth, kari.id)

    reports = verify_chains(session, shop_id=kari.shop_id)
    assert [(r.whole, r.redacted > 0) for r in reports] == [(True, True)]


def test_a_legal_hold_refuses_erasure_and_changes_nothing(client, auth, session, kari, erasure_key):
    session.add(
        LegalHold(shop_id=kari.shop_id, customer_id=kari.id, reason="a lawyer wrote", placed_by="owner@shop")
    )
    session.flush()
    before = _rows_mentioning(session, EMAIL, SURNAME, PHONE)

    answer = _erase(client, auth, kari.id)

    assert (answer.status_code, answer.json()["code"]) == (409, "legal_hold")
    assert _rows_mentioning(session, EMAIL, SURNAME, PHONE) == before
    assert session.scalar(select(func.count()).where(AuditEvent.action == "customer.erased")) == 0


def test_without_an_erasure_key_erasure_is_refused_and_changes_nothing(client, auth, session, kari):
    before = _rows_mentioning(session, EMAIL, SURNAME, PHONE)

    answer = _erase(client, auth, kari.id)

    assert (answer.status_code, answer.json()["code"]) == (409, "erasure_key_not_set")
    assert _rows_mentioning(session, EMAIL, SURNAME, PHONE) == before


def test_an_agent_may_not_erase_and_nothing_changes(client, auth, session, kari, erasure_key):
    before = _rows_mentioning(session, EMAIL, SURNAME, PHONE)

    answer = _erase(client, auth, kari.id, role=Role.agent)

    assert answer.status_code == 403
    assert _rows_mentioning(session, EMAIL, SURNAME, PHONE) == before


def test_a_blank_reason_is_refused(client, auth, session, kari, erasure_key):
    answer = _erase(client, auth, kari.id, reason="  ")

    assert (answer.status_code, answer.json()["code"]) == (422, "note_required")
    assert session.get(Customer, kari.id).email == EMAIL


def test_a_second_erasure_is_refused(client, auth, session, kari, erasure_key):
    _erase(client, auth, kari.id)

    answer = _erase(client, auth, kari.id)

    assert (answer.status_code, answer.json()["code"]) == (409, "already_erased")


def test_an_unknown_customer_is_a_404(client, auth, session, erasure_key):
    answer = _erase(client, auth, 999999)

    assert (answer.status_code, answer.json()["code"]) == (404, "customer_not_found")


def test_the_command_erases_a_customer(cli_db, erasure_key):
    with Session(cli_db) as session:
        store = make_store(session)
        customer = new_customer(session, store, first_name="Ola", email="ola@example.no")
        session.commit()
        customer_id = customer.id

    result = CliRunner().invoke(cli, ["privacy", "erase", str(customer_id), "--reason", "his request"])

    assert result.exit_code == 0, result.output
    with Session(cli_db) as session:
        assert session.get(Customer, customer_id).email is None


def test_screening_hashes_an_orders_keys_exactly_as_erasure_stores_them(erasure_key):
    from_checkout = hashed_keys([("phone", PHONE), ("email", EMAIL)])

    assert from_checkout == [
        ("phone", keyed_hash(erasure_key_bytes(), "phone", PHONE)),
        ("email", keyed_hash(erasure_key_bytes(), "email", EMAIL)),
    ]


def test_without_an_erasure_key_checkout_probes_no_hashed_keys():
    assert hashed_keys([("phone", PHONE)]) == []
