"""Recording identifiers as orders arrive, linking customers incrementally, and the path between them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storeguard.core.clock import frozen
from storeguard.customers.clusters import relink_customers
from storeguard.customers.enums import IdentifierType
from storeguard.customers.identifiers import identifiers_of_order, order_match_keys, record_order_identifiers
from storeguard.customers.links import cluster_of, link_paths
from storeguard.customers.models import Customer, Identifier
from storeguard.orders.reindex import reindex_identifiers
from tests.factories import make_customer, make_order, make_shop

OSLO = {
    "first_name": "Ola",
    "last_name": "Nordmann",
    "address1": "Storgata 5",
    "zip": "0150",
    "city": "Oslo",
    "country_code": "NO",
    "phone": "+47 22 33 44 55",
}


def test_identifiers_of_order_reads_every_identifier_of_a_prospective_order() -> None:
    checkout = {
        "email": "Ola.Nordmann+shop@gmail.com",
        "phone": "912 34 567",
        "shipping_address": OSLO,
        "browser_ip": "::ffff:192.0.2.7",
        "device_id": "D-81F2",
        "payment_fingerprint": "424242-4242-12/27",
    }
    facts = {
        (f.type.value, f.value)
        for f in identifiers_of_order(checkout, default_region="NO", platform_customer_id="7001")
    }
    assert facts == {
        ("email", "olanordmann@gmail.com"),
        ("email_domain", "gmail.com"),
        ("phone", "+4791234567"),
        ("phone", "+4722334455"),
        ("shipping_address", "no|0150||storgt 5"),
        ("name_address", "nordmann ola#no|0150||storgt 5"),
        ("ip", "192.0.2.7"),
        ("device_id", "d-81f2"),
        ("payment_fingerprint", "card:424242:4242:1227"),
        ("card_number", "card:424242:4242"),
        ("platform_id", "7001"),
    }


def test_identifiers_of_order_skips_unreadable_values_instead_of_refusing_the_order() -> None:
    facts = identifiers_of_order(
        {"email": "not-an-email", "phone": "12", "browser_ip": "999.1.1.1", "device_id": "dev-1"}
    )
    assert [(f.type.value, f.value) for f in facts] == [("device_id", "dev-1")]


def test_order_match_keys_adds_the_countries_of_both_addresses() -> None:
    keys = order_match_keys(
        {"shipping_address": OSLO, "billing_address": {**OSLO, "country_code": "se"}}, default_region="NO"
    )
    assert ("country", "NO") in keys and ("country", "SE") in keys


def test_record_order_identifiers_stores_first_and_last_sighting(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    kari = make_customer(session, shop, email="kari@example.no")
    with frozen(datetime(2025, 1, 1, tzinfo=UTC)):
        first = make_order(
            session, shop, customer=kari, phone="91234567", created_at=datetime(2025, 1, 1, tzinfo=UTC)
        )
        record_order_identifiers(session, first)
    later = make_order(
        session, shop, customer=kari, phone="+47 912 34 567", created_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    record_order_identifiers(session, later)
    record_order_identifiers(session, later)  # a webhook delivered twice changes nothing more

    phone = session.scalar(
        select(Identifier).where(Identifier.customer_id == kari.id, Identifier.type == "phone")
    )
    assert (phone.value, phone.first_order_id) == ("+4791234567", first.id)
    assert (phone.first_seen, phone.last_seen) == (
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 3, 1, tzinfo=UTC),
    )
    assert (
        session.scalar(
            select(Identifier.id)
            .where(Identifier.customer_id == kari.id)
            .where(Identifier.type == "phone")
            .offset(1)
        )
        is None
    )


def test_customers_sharing_a_phone_are_linked_as_the_second_order_arrives(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    a = make_customer(session, shop)
    b = make_customer(session, shop)
    c = make_customer(session, shop)
    record_order_identifiers(
        session, make_order(session, shop, customer=a, phone="91234567", device_id="dev-a")
    )
    record_order_identifiers(session, make_order(session, shop, customer=b, device_id="dev-b"))
    assert cluster_of(session, b.id) == [b.id]

    record_order_identifiers(session, make_order(session, shop, customer=b, phone="+4791234567"))
    record_order_identifiers(session, make_order(session, shop, customer=c, device_id="DEV-B"))

    assert cluster_of(session, c.id) == sorted([a.id, b.id, c.id])
    paths = link_paths(
        session, shop_id=shop.id, types=["phone", "device_id"], start_customer_id=c.id, targets=[a.id]
    )
    assert paths[a.id].text() == (
        f"shares device dev-b with customer #{b.id}, who shares phone +4791234567 with customer #{a.id}"
    )


def test_an_email_domain_or_a_bare_address_never_links_strangers(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    a = make_customer(session, shop, email="a@gmail.com")
    b = make_customer(session, shop, email="b@gmail.com")
    flat = {"address1": "Storgata 5", "zip": "0150", "country_code": "NO"}
    record_order_identifiers(
        session, make_order(session, shop, customer=a, shipping_address={**flat, "name": "Ola Nordmann"})
    )
    record_order_identifiers(
        session, make_order(session, shop, customer=b, shipping_address={**flat, "name": "Kari Hansen"})
    )
    assert cluster_of(session, a.id) == [a.id]


def test_name_and_address_together_link(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    a = make_customer(session, shop)
    b = make_customer(session, shop)
    record_order_identifiers(session, make_order(session, shop, customer=a, shipping_address=OSLO))
    record_order_identifiers(
        session,
        make_order(
            session, shop, customer=b, shipping_address={**OSLO, "first_name": "OLA", "address1": "Storgt. 5"}
        ),
    )
    assert cluster_of(session, a.id) == sorted([a.id, b.id])


def test_reindex_identifiers_rebuilds_identifiers_and_clusters_from_stored_orders(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    a = make_customer(session, shop, email="a@example.no")
    b = make_customer(session, shop, email="b@example.no")
    make_order(session, shop, customer=a, phone="91234567", payment_fingerprint="fp_abc")
    make_order(session, shop, customer=b, payment_fingerprint="fp_abc")

    result = reindex_identifiers(session, shop.id)
    again = reindex_identifiers(session, shop.id)

    assert (result.orders, result.linked_clusters) == (2, 1)
    assert again.identifiers_added == 0
    kinds = set(session.scalars(select(Identifier.type).where(Identifier.customer_id == b.id)))
    assert kinds == {"email", "email_domain", "payment_fingerprint"}
    assert cluster_of(session, b.id) == sorted([a.id, b.id])


def test_relink_splits_clusters_when_a_type_stops_linking(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    a = make_customer(session, shop)
    b = make_customer(session, shop)
    record_order_identifiers(session, make_order(session, shop, customer=a, device_id="dev-1"))
    record_order_identifiers(session, make_order(session, shop, customer=b, device_id="dev-1"))
    assert cluster_of(session, b.id) == sorted([a.id, b.id])

    relink_customers(session, shop.id, types=(IdentifierType.email, IdentifierType.phone))

    assert cluster_of(session, b.id) == [b.id]
    assert session.get(Customer, a.id).cluster_id == a.id


def test_reindex_in_child_processes_stores_what_one_process_stores(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    shops = [make_shop(session, country="NO", currency="NOK") for _ in range(2)]
    for shop in shops:
        a = make_customer(session, shop, email="a@example.no")
        b = make_customer(session, shop, email="b@example.no")
        for n in range(6):
            make_order(session, shop, customer=a, phone=f"9123456{n}", shipping_address=OSLO)
            make_order(session, shop, customer=b, payment_fingerprint=f"fp_{n % 2}", device_id="D-1")
    one = reindex_identifiers(session, shops[0].id)
    monkeypatch.setattr("storeguard.orders.reindex.PARALLEL_FROM", 2)
    monkeypatch.setattr("storeguard.orders.reindex.CHUNK", 3)

    children = reindex_identifiers(session, shops[1].id)

    def stored(shop_id: int) -> list[tuple]:
        rows = session.execute(
            select(Identifier.type, Identifier.value, Identifier.display, Identifier.source, Customer.email)
            .join(Customer, Customer.id == Identifier.customer_id)
            .where(Identifier.shop_id == shop_id)
        ).all()
        return sorted(tuple(r) for r in rows)

    assert (children.orders, children.identifiers_added, children.linked_clusters) == (
        one.orders,
        one.identifiers_added,
        one.linked_clusters,
    )
    assert stored(shops[1].id) == stored(shops[0].id)
    assert len(stored(shops[0].id)) == one.identifiers_added
