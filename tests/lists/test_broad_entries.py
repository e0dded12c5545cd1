"""An entry that would match a large part of the customers needs an explicit confirmation."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.enums import Role
from storeguard.lists.csvio import import_entries, read_csv
from storeguard.lists.models import ListEntry
from storeguard.lists.policy import breadth_refusal
from tests.factories import make_shop
from tests.lists.helpers import AGENT


@pytest.mark.parametrize(
    ("target_type", "value", "broad"),
    [
        ("cidr", "0.0.0.0/0", True),
        ("cidr", "10.0.0.0/8", True),
        ("cidr", "203.0.0.0/15", True),
        ("cidr", "203.0.0.0/16", False),
        ("cidr", "203.0.113.0/24", False),
        ("cidr", "2001:db8::/16", True),
        ("cidr", "2001:db8::/32", False),
        ("email_domain", "gmail.com", True),
        ("email_domain", "qq.com", True),
        ("email_domain", "kari-sko.no", False),
        ("country", "NO", True),
        ("country", "SE", False),
        ("email", "kari@gmail.com", False),
    ],
)
def test_breadth_is_a_wide_network_a_free_mailbox_provider_or_the_shops_own_country(
    target_type: str, value: str, broad: bool
) -> None:
    assert (breadth_refusal(target_type, value, "NO") is not None) == broad


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ListEntry)) or 0


def test_a_block_on_every_address_is_refused_without_confirmation_and_nothing_is_stored(
    client: TestClient, session: Session, auth
) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    body = {
        "shop_id": shop.id,
        "type": "cidr",
        "value": "0.0.0.0/0",
        "reason_code": "fraud",
        "evidence": {"notes": ["bot wave"]},
    }

    refused = client.post("/v1/lists/entries", json=body, headers=auth(Role.agent))

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        422,
        "entry_too_broad",
        "value",
    )
    assert "confirm_broad" in refused.json()["detail"]
    assert _count(session) == 0


def test_a_confirmed_broad_entry_is_stored(client: TestClient, session: Session, auth) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    body = {
        "shop_id": shop.id,
        "type": "country",
        "value": "NO",
        "action": "review",
        "reason_code": "fraud",
        "evidence": {"notes": ["a holiday-season rule, reviewed by the owner"]},
        "confirm_broad": True,
    }

    made = client.post("/v1/lists/entries", json=body, headers=auth(Role.agent))

    assert (made.status_code, made.json()["value"]) == (201, "NO")


def test_a_csv_row_that_is_too_broad_is_reported_unless_its_row_confirms_it(session: Session) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    csv_text = (
        "type,value,reason_code,evidence_notes,confirm_broad\n"
        "email_domain,gmail.com,fraud,spam wave,\n"
        "cidr,10.0.0.0/8,fraud,bot wave,true\n"
        "country,NO,fraud,test,\n"
    )

    result = import_entries(session, read_csv(io.StringIO(csv_text)), shop_id=shop.id, actor=AGENT)

    assert [(row, field) for row, field, _ in result.errors] == [(2, "value"), (4, "value")]
