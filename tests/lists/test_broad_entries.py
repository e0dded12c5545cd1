"""An entry that would match a large part of everyone (0.0.0.0/0, the shop's country, gmail.com) needs confirming."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.audit import events_for
from storeguard.core.enums import Role
from storeguard.core.errors import Invalid
from storeguard.customers.identifiers import record_customer_identifiers
from storeguard.lists.blocking import block_customer
from storeguard.lists.csvio import export_entries, import_entries, read_csv
from storeguard.lists.models import ListEntry
from storeguard.lists.policy import broad_entry_reason, broad_entry_refusal, countries_sold_to
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import AGENT, block_entry, entry_and_block_counts

HOW = (
    "if that is meant, confirm it: confirm_broad: true in the API, --confirm-broad with "
    "'storeguard lists add', a confirm_broad column of true in a CSV import"
)


@pytest.fixture
def shop(session: Session):  # noqa: ANN201
    return make_shop(session, country="NO", currency="NOK")


# --- the rule (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value", "why"),
    [
        ("cidr", "0.0.0.0/0", "0.0.0.0/0 holds 4,294,967,296 addresses, more than a /16: it would match"),
        ("cidr", "10.0.0.0/8", "10.0.0.0/8 holds 16,777,216 addresses, more than a /16"),
        ("cidr", "203.0.0.0/15", "203.0.0.0/15 holds 131,072 addresses, more than a /16"),
        ("cidr", "::/0", "::/0 holds 340,282,366,920,938,463,463,374,607,431,768,211,456 addresses"),
        ("cidr", "2001:db8::/16", "2001:db8::/16 holds"),
        (
            "country",
            "NO",
            "NO is a country this shop sells to: it would match a large share of its customers",
        ),
        ("email_domain", "gmail.com", "gmail.com is a mailbox provider anyone can use"),
        ("email_domain", "qq.com", "qq.com is a mailbox provider"),
        ("email_domain", "online.no", "online.no is a mailbox provider"),
        ("email_domain", "seznam.cz", "seznam.cz is a mailbox provider"),
    ],
)
def test_an_entry_matching_a_large_part_of_everyone_is_called_broad_and_says_why(
    type_: str, value: str, why: str
) -> None:
    assert broad_entry_reason(type_, value, sells_to={"NO"}).startswith(why)


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("cidr", "203.0.0.0/16"),
        ("cidr", "203.0.113.0/24"),
        ("cidr", "2001:db8::/32"),
        ("country", "SE"),
        ("email_domain", "kari-sko.no"),
        ("email_domain", "mailinator.com"),  # disposable: blocking it is an ordinary block
        ("email", "kari@gmail.com"),
        ("ip", "0.0.0.0"),
    ],
)
def test_an_entry_on_a_narrower_target_is_not_broad(type_: str, value: str) -> None:
    assert broad_entry_reason(type_, value, sells_to={"NO"}) is None


def test_a_shop_sells_to_its_home_country_and_each_with_a_twentieth_of_its_orders() -> None:
    orders = ["NO"] * 90 + ["se"] * 5 + ["DK"] * 4 + [None]

    assert countries_sold_to("NO", orders) == {"NO", "SE"}
    assert countries_sold_to("no", []) == {"NO"}


def test_the_refusal_says_why_and_how_to_confirm() -> None:
    assert broad_entry_refusal("NO is a country this shop sells to") == (
        "entry_too_broad",
        f"NO is a country this shop sells to; {HOW}",
        "value",
    )


# --- entries and blocks ------------------------------------------------------------------------


def test_an_unconfirmed_block_on_every_address_is_refused_and_nothing_changes(session: Session, shop) -> None:
    with pytest.raises(Invalid) as err:
        block_entry(session, shop.id, "cidr", "0.0.0.0/0")

    assert (err.value.code, err.value.field, err.value.extra["value"]) == (
        "entry_too_broad",
        "value",
        "0.0.0.0/0",
    )
    assert entry_and_block_counts(session) == (0, 0)


def test_a_confirmed_broad_entry_is_made_and_its_audit_says_it_was_confirmed(session: Session, shop) -> None:
    entry = block_entry(session, shop.id, "email_domain", "GMAIL.com", confirm_broad=True)

    created = events_for(session, "list_entry", entry.id)[-1]
    assert (entry.type, entry.value, entry.status) == ("email_domain", "gmail.com", "active")
    assert created.data == {
        "confirmed_broad": "gmail.com is a mailbox provider anyone can use: it would match a large share of customers"
    }


def test_the_shops_own_country_and_one_it_ships_many_orders_to_need_confirming(
    session: Session, shop
) -> None:
    for country in ["NO"] * 8 + ["SE"] * 2:
        make_order(session, shop, shipping_address={"address1": "Gata 1", "country_code": country})

    refused = []
    for country in ("NO", "se"):
        with pytest.raises(Invalid) as err:
            block_entry(session, shop.id, "country", country)
        refused.append(err.value.code)
    elsewhere = block_entry(session, shop.id, "country", "NG")

    assert refused == ["entry_too_broad", "entry_too_broad"]
    assert session.scalars(select(ListEntry.value)).all() == [elsewhere.value] == ["NG"]


def test_blocking_a_customer_with_their_webmail_domain_needs_confirming_and_changes_nothing_unconfirmed(
    session: Session, shop
) -> None:
    kari = make_customer(session, shop, email="kari@gmail.com")
    record_customer_identifiers(session, kari)
    block = dict(
        customer_id=kari.id,
        actor=AGENT,
        reason_code="fraud",
        evidence={"notes": ["x"]},
        identifier_types=["email", "email_domain"],
        notify=False,
    )

    with pytest.raises(Invalid) as err:
        block_customer(session, **block)
    unchanged = entry_and_block_counts(session)
    made = block_customer(session, **block, confirm_broad=True)

    assert (err.value.code, err.value.field) == ("entry_too_broad", "value")
    assert unchanged == (0, 0)
    values = session.scalars(
        select(ListEntry.value).where(ListEntry.block_id == made.id).order_by(ListEntry.id)
    )
    assert values.all() == [str(kari.id), "kari@gmail.com", "gmail.com"]


# --- the API -----------------------------------------------------------------------------------


def test_post_entry_on_every_address_answers_422_saying_how_to_confirm_then_takes_the_flag(
    client, session: Session, auth, shop
) -> None:
    body = {
        "shop_id": shop.id,
        "type": "cidr",
        "value": "0.0.0.0/0",
        "reason_code": "fraud",
        "evidence": {"notes": ["testing the gate"]},
    }
    headers = auth(Role.agent)

    refused = client.post("/v1/lists/entries", json=body, headers=headers)
    count = entry_and_block_counts(session)
    confirmed = client.post("/v1/lists/entries", json={**body, "confirm_broad": True}, headers=headers)

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422,
        "entry_too_broad",
        "value",
    )
    assert refused.json()["detail"].endswith(HOW)
    assert count == (0, 0)
    assert (confirmed.status_code, confirmed.json()["value"]) == (201, "0.0.0.0/0")


def test_post_block_with_a_webmail_domain_answers_422_without_the_flag(
    client, session: Session, auth, shop
) -> None:
    kari = make_customer(session, shop, email="kari@gmail.com")
    record_customer_identifiers(session, kari)
    body = {"reason_code": "fraud", "evidence": {"notes": ["x"]}, "identifier_types": ["email_domain"]}

    refused = client.post(f"/v1/customers/{kari.id}/block", json=body, headers=auth(Role.agent))

    assert (refused.status_code, refused.json()["code"]) == (422, "entry_too_broad")
    assert entry_and_block_counts(session) == (0, 0)


# --- the CSV import ----------------------------------------------------------------------------

HEAD = "type,value,reason_code,evidence_notes"


def _import(session: Session, shop, text: str):  # noqa: ANN001, ANN202
    return import_entries(session, read_csv(io.StringIO(text)), shop_id=shop.id, actor=AGENT)


def test_import_refuses_unconfirmed_broad_rows_by_row_and_column(session: Session, shop) -> None:
    text = (
        f"{HEAD}\n"
        "cidr,0.0.0.0/0,fraud,x\n"
        "email_domain,gmail.com,fraud,x\n"
        "country,NO,fraud,x\n"
        "cidr,203.0.113.0/24,fraud,x\n"
    )

    result = _import(session, shop, text)

    assert [(row, field) for row, field, _ in result.errors] == [(2, "value"), (3, "value"), (4, "value")]
    assert result.errors[2][2] == (
        f"NO is a country this shop sells to: it would match a large share of its customers; {HOW}"
    )


def test_import_takes_broad_rows_confirmed_in_their_column(session: Session, shop) -> None:
    text = f"{HEAD},confirm_broad\ncidr,0.0.0.0/0,fraud,x,true\ncountry,NO,fraud,x,yes\nemail,a@gmail.com,fraud,x,\n"

    result = _import(session, shop, text)

    assert (result.errors, result.created) == ([], 3)


def test_import_refuses_a_confirmation_that_is_not_true_or_false(session: Session, shop) -> None:
    result = _import(session, shop, f"{HEAD},confirm_broad\ncidr,0.0.0.0/0,fraud,x,maybe\n")

    assert result.errors == [(2, "confirm_broad", "'maybe' is not true or false")]


def test_export_marks_broad_entries_confirmed_so_the_file_imports_again(session: Session, shop) -> None:
    block_entry(session, shop.id, "cidr", "0.0.0.0/0", confirm_broad=True)
    block_entry(session, shop.id, "email", "a@example.no")
    out = io.StringIO()
    export_entries(session, out, shop_id=shop.id)
    other = make_shop(session, country="SE", currency="SEK")

    again = _import(session, other, out.getvalue())

    assert [line.split(",")[13] for line in out.getvalue().splitlines()] == ["confirm_broad", "true", ""]
    assert (again.errors, again.created) == ([], 2)
