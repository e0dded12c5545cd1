"""Evidence that names an order, a case or an incident must name one the shop has (422 naming the kind)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.enums import Role
from storeguard.core.errors import Invalid
from storeguard.lists.actions import update_entry
from storeguard.lists.blocking import block_customer
from storeguard.lists.csvio import import_entries, read_csv
from storeguard.lists.models import ListEntry
from storeguard.lists.policy import missing_evidence
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import AGENT, block_entry, entry_and_block_counts


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, country="NO", currency="NOK")


def test_missing_evidence_names_the_first_kind_with_ids_the_shop_lacks() -> None:
    evidence = {"order_ids": [3, 4], "case_ids": [9], "notes": ["x"]}

    assert missing_evidence(evidence, {"order_ids": {3, 4}}) == (
        "evidence_case_not_found",
        "evidence names cases this shop does not have: 9",
        "evidence.case_ids",
    )
    assert missing_evidence(evidence, {"order_ids": {3}, "case_ids": {9}}) == (
        "evidence_order_not_found",
        "evidence names orders this shop does not have: 4",
        "evidence.order_ids",
    )
    assert missing_evidence({"notes": ["x"]}, {}) is None


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("order_ids", "evidence_order_not_found"),
        ("case_ids", "evidence_case_not_found"),
        ("incident_ids", "evidence_incident_not_found"),
    ],
)
def test_an_entry_whose_evidence_names_what_the_shop_lacks_is_refused_and_nothing_is_stored(
    session: Session, shop, kind: str, code: str
) -> None:
    elsewhere = make_order(session, make_shop(session))  # another shop's order

    with pytest.raises(Invalid) as err:
        block_entry(session, shop.id, "email", "a@example.no", evidence={kind: [elsewhere.id]})

    assert (err.value.code, err.value.field) == (code, f"evidence.{kind}")
    assert entry_and_block_counts(session) == (0, 0)


def test_an_entry_whose_evidence_is_the_shops_own_order_is_made(session: Session, shop) -> None:
    order = make_order(session, shop)

    entry = block_entry(session, shop.id, "email", "a@example.no", evidence={"order_ids": [order.id]})

    assert entry.evidence == {"order_ids": [order.id]}


def test_a_block_whose_evidence_names_an_unknown_incident_is_refused_and_nothing_changes(
    session: Session, shop
) -> None:
    ola = make_customer(session, shop)

    with pytest.raises(Invalid) as err:
        block_customer(
            session, customer_id=ola.id, actor=AGENT, reason_code="fraud", evidence={"incident_ids": [4]}
        )

    assert (err.value.code, err.value.field) == ("evidence_incident_not_found", "evidence.incident_ids")
    assert entry_and_block_counts(session) == (0, 0)


def test_evidence_added_to_an_entry_later_is_checked_and_a_refusal_leaves_it_as_it_was(
    session: Session, shop
) -> None:
    entry = block_entry(session, shop.id, "device_id", "dev-1")

    with pytest.raises(Invalid) as refused:
        update_entry(session, entry_id=entry.id, actor=AGENT, add_evidence={"order_ids": [987654]})

    assert (refused.value.code, refused.value.field) == ("evidence_order_not_found", "evidence.order_ids")
    assert entry.evidence == {"notes": ["seen in test"]}


def test_post_block_with_another_shops_order_as_evidence_answers_422_naming_the_field(
    client, session: Session, auth, shop
) -> None:
    ola = make_customer(session, shop)
    elsewhere = make_order(session, make_shop(session))

    answer = client.post(
        f"/v1/customers/{ola.id}/block",
        json={"reason_code": "fraud", "evidence": {"order_ids": [elsewhere.id]}},
        headers=auth(Role.agent),
    )

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "evidence_order_not_found",
        "evidence.order_ids",
    )
    assert entry_and_block_counts(session) == (0, 0)


def test_import_refuses_rows_whose_evidence_orders_are_not_the_shops(session: Session, shop) -> None:
    own = make_order(session, shop)
    elsewhere = make_order(session, make_shop(session))
    text = (
        "type,value,reason_code,evidence_order_ids\n"
        f"email,a@example.no,fraud,{own.id}\n"
        f"email,b@example.no,fraud,{own.id};{elsewhere.id}\n"
        "email,c@example.no,fraud,#1001\n"
        f"email,d@example.no,fraud,{own.id}\n"
    )

    result = import_entries(session, read_csv(io.StringIO(text)), shop_id=shop.id, actor=AGENT)

    assert result.errors == [
        (3, "evidence_order_ids", f"evidence names orders this shop does not have: {elsewhere.id}"),
        (4, "evidence_order_ids", "'#1001' is not an order id (storeguard's order ids, separated by ;)"),
    ]


def test_import_takes_rows_whose_evidence_orders_are_the_shops(session: Session, shop) -> None:
    own = make_order(session, shop)
    text = f"type,value,reason_code,evidence_order_ids\nemail,a@example.no,fraud,{own.id}\n"

    result = import_entries(session, read_csv(io.StringIO(text)), shop_id=shop.id, actor=AGENT)

    assert (result.errors, result.created) == ([], 1)
    assert session.scalar(select(ListEntry.evidence)) == {"order_ids": [own.id]}
