"""POST /v1/orders takes a product by id or by SKU, and links a buyer named only by email or phone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.customers.identifiers import record_customer_identifiers
from storeguard.customers.models import Customer
from storeguard.orders.models import Order
from storeguard.shops.models import Product, Shop
from tests.factories import make_customer


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Order)) or 0,
        session.scalar(select(func.count()).select_from(Customer)) or 0,
    )


def _post(client: TestClient, headers: dict[str, str], shop: Shop, lines: list[dict], **kw: object):  # noqa: ANN202
    body = {"shop_id": shop.id, "currency": "USD", "lines": lines, **kw}
    return client.post("/v1/orders", json=body, headers=headers)


def test_a_line_may_name_its_product_by_sku(
    client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    answer = _post(client, owner_headers, shop, [{"sku": "SHIRT", "quantity": 2}])

    assert answer.status_code == 201, answer.json()
    [line] = answer.json()["line_items"]
    assert (line["product_id"], line["sku"], line["quantity"], line["unit_price"]) == (
        shirt.id,
        "SHIRT",
        2,
        4500,
    )


def test_a_line_naming_both_or_neither_is_refused_and_nothing_is_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    before = _counts(session)
    both = _post(client, owner_headers, shop, [{"product_id": shirt.id, "sku": "SHIRT", "quantity": 1}])
    neither = _post(client, owner_headers, shop, [{"quantity": 1}])

    assert [(a.status_code, a.json()["field"]) for a in (both, neither)] == [
        (422, "lines.0"),
        (422, "lines.0"),
    ]
    assert _counts(session) == before


def test_an_unknown_sku_is_refused_naming_it_and_nothing_is_stored(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    before = _counts(session)

    answer = _post(client, owner_headers, shop, [{"sku": "NO-SUCH", "quantity": 1}])

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "unknown_product",
        "lines.0.sku",
    )
    assert _counts(session) == before


def test_an_order_with_only_an_email_is_linked_to_the_customer_who_used_it(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    kari = make_customer(session, shop, email="karin@gmail.com")
    record_customer_identifiers(session, kari)
    session.commit()

    answer = _post(
        client, owner_headers, shop, [{"sku": "SHIRT", "quantity": 1}], email="Kari.N+shop@Gmail.com"
    )

    assert answer.status_code == 201, answer.json()
    assert answer.json()["customer_id"] == kari.id


def test_an_order_with_a_new_email_creates_its_customer_and_one_without_contact_stays_a_guest(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    line = [{"sku": "SHIRT", "quantity": 1}]
    first = _post(client, owner_headers, shop, line, email="ola@example.no")
    again = _post(client, owner_headers, shop, line, email="OLA@example.no")
    guest = _post(client, owner_headers, shop, line)

    ola = session.get(Customer, first.json()["customer_id"])
    assert (ola.email, ola.shop_id) == ("ola@example.no", shop.id)
    assert again.json()["customer_id"] == ola.id
    assert guest.json()["customer_id"] is None


def test_an_order_with_only_a_phone_is_linked_to_the_customer_who_used_it(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    kari = make_customer(session, shop, email=None, phone="+1 415 555 2671")
    record_customer_identifiers(session, kari)
    session.commit()

    answer = _post(client, owner_headers, shop, [{"sku": "SHIRT", "quantity": 1}], phone="(415) 555-2671")

    assert answer.status_code == 201, answer.json()
    assert answer.json()["customer_id"] == kari.id


def test_a_refused_order_with_a_new_email_leaves_no_customer_behind(
    session: Session, client: TestClient, owner_headers: dict[str, str], shop: Shop, shirt: Product
) -> None:
    before = _counts(session)

    answer = _post(client, owner_headers, shop, [{"sku": "NO-SUCH", "quantity": 1}], email="new@example.no")

    assert (answer.status_code, answer.json()["field"]) == (422, "lines.0.sku")
    assert _counts(session) == before
