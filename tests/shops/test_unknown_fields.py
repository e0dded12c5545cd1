"""Shop and catalogue routes refuse a field they do not know, and change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.shops.models import Product
from tests.factories import make_product, make_shop
from tests.refusals import refusal, row_counts


def test_a_misspelt_currency_on_a_new_shop_is_refused_and_no_shop_is_made(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    before = row_counts(session)

    answer = client.post(
        "/v1/shops",
        headers=owner_headers,
        json={"name": "Kari sko", "domain": "kari-sko.example", "currancy": "NOK", "country": "NO"},
    )

    assert refusal(answer) == (422, "validation_failed", "currancy")
    assert row_counts(session) == before


def test_a_misspelt_price_on_a_product_change_is_refused_and_the_price_stays(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    product = make_product(session, make_shop(session), price=2500)
    before = row_counts(session)

    answer = client.patch(f"/v1/products/{product.id}", headers=owner_headers, json={"pirce": 1})

    assert refusal(answer) == (422, "validation_failed", "pirce")
    session.expire_all()
    assert session.get(Product, product.id).price == 2500
    assert row_counts(session) == before
