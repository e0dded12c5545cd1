"""Customer routes refuse a field they do not know, and store nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_customer, make_shop
from tests.refusals import refusal, row_counts


def test_a_misspelt_email_on_a_new_customer_is_refused_and_no_customer_is_made(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop = make_shop(session)
    before = row_counts(session)

    answer = client.post(
        "/v1/customers", headers=owner_headers, json={"shop_id": shop.id, "emial": "kari@example.no"}
    )

    assert refusal(answer) == (422, "validation_failed", "emial")
    assert row_counts(session) == before


def test_a_misspelt_field_on_a_new_identifier_is_refused_and_nothing_is_recorded(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    before = row_counts(session)

    answer = client.post(
        f"/v1/customers/{customer.id}/identifiers",
        headers=owner_headers,
        json={"type": "phone", "value": "+4791234567", "sorce": "manual"},
    )

    assert refusal(answer) == (422, "validation_failed", "sorce")
    assert row_counts(session) == before
