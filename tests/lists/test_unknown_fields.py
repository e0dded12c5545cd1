"""List routes refuse a field or parameter they do not know: an entry is never lifted or changed unseen."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.lists.models import ListEntry
from tests.factories import make_shop
from tests.lists.helpers import block_entry
from tests.refusals import refusal, row_counts


def test_a_misspelt_reason_on_a_lift_is_refused_and_the_entry_stays_active(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    entry = block_entry(session, make_shop(session).id, "email", "bad@example.com")
    before = row_counts(session)

    answer = client.delete(f"/v1/lists/entries/{entry.id}?resaon=appeal+upheld", headers=owner_headers)

    assert refusal(answer) == (422, "validation_failed", "resaon")
    session.expire_all()
    assert session.get(ListEntry, entry.id).status == "active"
    assert row_counts(session) == before


def test_a_misspelt_expiry_on_an_entry_change_is_refused_and_the_entry_keeps_none(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    entry = block_entry(session, make_shop(session).id, "email", "bad@example.com")
    before = row_counts(session)

    answer = client.patch(
        f"/v1/lists/entries/{entry.id}", headers=owner_headers, json={"expires": "2030-01-01T00:00:00Z"}
    )

    assert refusal(answer) == (422, "validation_failed", "expires")
    session.expire_all()
    assert session.get(ListEntry, entry.id).expires_at is None
    assert row_counts(session) == before
