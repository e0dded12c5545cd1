"""The HTTP API for customers, identifiers, links, blocks, entries, matching and reason codes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storeguard.core.enums import Role
from storeguard.lists.models import CustomerBlock, ListEntry
from tests.factories import make_customer, make_order, make_shop
from tests.lists.helpers import arrive


def test_post_customer_and_identifiers_then_links_show_the_shared_phone(
    client, session: Session, auth
) -> None:
    headers = auth(Role.agent)
    shop = make_shop(session, country="NO", currency="NOK")
    a = client.post(
        "/v1/customers",
        json={"shop_id": shop.id, "email": "a@example.no", "phone": "91234567"},
        headers=headers,
    )
    assert a.status_code == 201, a.text
    b = client.post(
        "/v1/customers", json={"shop_id": shop.id, "email": "b@example.no"}, headers=headers
    ).json()
    added = client.post(
        f"/v1/customers/{b['id']}/identifiers",
        json={"type": "phone", "value": "+47 912 34 567"},
        headers=headers,
    )
    assert (added.status_code, added.json()["value"], added.json()["source"]) == (
        201,
        "+4791234567",
        "manual",
    )

    links = client.get(f"/v1/customers/{b['id']}/links", headers=headers).json()
    assert links["cluster"] == sorted([a.json()["id"], b["id"]])
    assert links["links"][0]["path_text"] == f"shares phone +4791234567 with customer #{a.json()['id']}"
    listed = client.get(
        "/v1/customers", params={"shop_id": shop.id, "q": "example.no"}, headers=headers
    ).json()
    assert listed["total"] == 2


def test_bad_identifiers_answer_422_naming_field_and_value(client, session: Session, auth) -> None:
    headers = auth(Role.agent)
    shop = make_shop(session, country="NO", currency="NOK")
    customer = make_customer(session, shop)
    for type_, value, field in (("email", "nope", "email"), ("phone", "12", "phone"), ("ip", "1.2.3", "ip")):
        response = client.post(
            f"/v1/customers/{customer.id}/identifiers", json={"type": type_, "value": value}, headers=headers
        )
        assert response.status_code == 422
        body = response.json()
        assert (body["field"], body["value"]) == (field, value)
    response = client.post(
        "/v1/lists/entries",
        json={
            "shop_id": shop.id,
            "type": "cidr",
            "value": "10.0.0.0/99",
            "reason_code": "fraud",
            "evidence": {"notes": ["x"]},
        },
        headers=headers,
    )
    assert (response.status_code, response.json()["code"], response.json()["value"]) == (
        422,
        "invalid_cidr",
        "10.0.0.0/99",
    )
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 0


def test_entries_crud_is_idempotent_and_delete_lifts(client, session: Session, auth) -> None:
    headers = auth(Role.agent)
    shop = make_shop(session, country="NO", currency="NOK")
    body = {
        "shop_id": shop.id,
        "type": "email",
        "value": "Kari@Example.no",
        "reason_code": "fraud",
        "evidence": {"notes": ["stolen card"]},
    }
    first = client.post("/v1/lists/entries", json=body, headers=headers)
    again = client.post("/v1/lists/entries", json=body, headers=headers)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["id"], again.json()["created"]) == (
        200,
        first.json()["id"],
        False,
    )
    entry_id = first.json()["id"]

    patched = client.patch(f"/v1/lists/entries/{entry_id}", json={"action": "verify"}, headers=headers)
    assert patched.json()["action"] == "verify"
    lifted = client.delete(
        f"/v1/lists/entries/{entry_id}", params={"reason": "card owner confirmed"}, headers=headers
    )
    assert (lifted.json()["status"], lifted.json()["lift_reason"]) == ("lifted", "card owner confirmed")
    assert client.get(f"/v1/lists/entries/{entry_id}", headers=headers).json()["status"] == "lifted"
    active = client.get("/v1/lists/entries", params={"shop_id": shop.id, "status": "active"}, headers=headers)
    assert active.json()["total"] == 0
    assert client.get("/v1/lists/entries/999999", headers=headers).status_code == 404


def test_block_match_and_unblock_over_http(client, session: Session, auth) -> None:
    headers = auth(Role.agent)
    shop = make_shop(session, name="Nordic Sneakers", country="NO", currency="NOK")
    abuser = make_customer(session, shop, email="ola@example.no", locale="he")
    order = arrive(session, make_order(session, shop, customer=abuser, device_id="dev-77"))

    refused = client.post(
        f"/v1/customers/{abuser.id}/block", json={"reason_code": "chargeback_abuse"}, headers=headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "evidence_required")
    assert session.scalar(select(func.count()).select_from(CustomerBlock)) == 0

    blocked = client.post(
        f"/v1/customers/{abuser.id}/block",
        json={
            "reason_code": "chargeback_abuse",
            "evidence": {"order_ids": [order.id]},
            "disable_account": True,
        },
        headers=headers,
    )
    assert blocked.status_code == 201, blocked.text
    assert blocked.json()["notice_language"] == "he"
    assert blocked.json()["appeal_url"].startswith("http://127.0.0.1:8000/appeal/")

    matched = client.post(
        "/v1/lists/match",
        json={
            "shop_id": shop.id,
            "order": {"email": "fresh@example.com", "device_id": "DEV-77"},
            "lines": [{"category": "sneakers", "unit_price": 250000, "limited_edition": True}],
        },
        headers=headers,
    ).json()
    assert matched["strongest_action"] == "block"
    assert {(m["type"], m["via"]) for m in matched["matches"]} == {
        ("device_id", "direct"),
        ("customer", "linked"),
    }
    linked = next(m for m in matched["matches"] if m["via"] == "linked")
    assert linked["path_text"] == f"shares device dev-77 with customer #{abuser.id}"

    unblocked = client.post(
        f"/v1/customers/{abuser.id}/unblock", json={"reason": "bank error"}, headers=headers
    )
    assert unblocked.json()["status"] == "lifted"
    again = client.post(f"/v1/customers/{abuser.id}/unblock", json={"reason": "again"}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "customer_not_blocked")
    timeline = client.get(f"/v1/customers/{abuser.id}/timeline", headers=headers).json()
    assert [e["action"] for e in timeline] == ["customer.blocked", "customer.block_lifted"]


def test_a_viewer_may_read_but_not_block(client, session: Session, auth) -> None:
    headers = auth(Role.viewer)
    shop = make_shop(session, country="NO", currency="NOK")
    customer = make_customer(session, shop)
    assert client.get(f"/v1/customers/{customer.id}", headers=headers).status_code == 200
    response = client.post(
        f"/v1/customers/{customer.id}/block",
        json={"reason_code": "fraud", "evidence": {"notes": ["x"]}},
        headers=headers,
    )
    assert response.status_code == 403


def test_reason_codes_are_listed_and_an_admin_adds_one(client, session: Session, auth) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    listed = client.get("/v1/reason-codes", params={"shop_id": shop.id}, headers=auth(Role.viewer)).json()
    assert listed[1]["code"] == "chargeback_abuse" and set(listed[1]["descriptions"]) == {
        "en",
        "nb",
        "he",
        "zh",
    }
    made = client.post(
        "/v1/reason-codes",
        json={
            "shop_id": shop.id,
            "code": "reseller",
            "label": "Reseller",
            "descriptions": {"en": "Bought to resell."},
        },
        headers=auth(Role.admin),
    )
    assert made.status_code == 201
    refused = client.post(
        "/v1/reason-codes",
        json={"shop_id": shop.id, "code": "x2", "descriptions": {"en": "x"}},
        headers=auth(Role.agent),
    )
    assert refused.status_code == 403


def test_a_misspelt_evidence_field_is_refused_by_name_and_blocks_nobody(
    client, session: Session, auth
) -> None:
    headers = auth(Role.agent)
    shop = make_shop(session)
    customer = make_customer(session, shop)

    answer = client.post(
        f"/v1/customers/{customer.id}/block",
        json={"reason_code": "chargeback_abuse", "evidence": {"note": "three chargebacks"}},
        headers=headers,
    )

    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (
        422,
        "validation_failed",
        "evidence.note",
    )
    assert session.scalar(select(func.count()).select_from(CustomerBlock)) == 0


def test_match_refuses_more_than_a_hundred_identifiers_with_422(client, session: Session, auth) -> None:
    shop = make_shop(session, country="NO", currency="NOK")
    keys = [{"type": "email", "value": f"u{i}@example.no"} for i in range(101)]

    answer = client.post(
        "/v1/lists/match", json={"shop_id": shop.id, "identifiers": keys}, headers=auth(Role.viewer)
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "identifiers"


def test_a_retired_reason_code_is_refused_for_a_new_block_and_blocks_nobody(
    client, session: Session, auth
) -> None:
    shop = make_shop(session)
    customer = make_customer(session, shop)
    retired = client.post(
        "/v1/reason-codes/threats/retire", params={"shop_id": shop.id}, headers=auth(Role.admin)
    )

    answer = client.post(
        f"/v1/customers/{customer.id}/block",
        json={"reason_code": "threats", "evidence": {"notes": ["threatened staff"]}},
        headers=auth(Role.agent),
    )

    assert (retired.status_code, retired.json()["active"]) == (200, False)
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_reason_code")
    assert client.get(f"/v1/customers/{customer.id}/blocks", headers=auth(Role.viewer)).json() == []


def test_the_last_reason_code_in_use_cannot_be_retired(client, session: Session, auth) -> None:
    shop = make_shop(session)
    codes = [r["code"] for r in client.get("/v1/reason-codes", headers=auth(Role.viewer)).json()]
    for code in codes[:-1]:
        client.post(f"/v1/reason-codes/{code}/retire", params={"shop_id": shop.id}, headers=auth(Role.admin))

    last = client.post(f"/v1/reason-codes/{codes[-1]}/retire", headers=auth(Role.admin))

    assert (last.status_code, last.json()["code"]) == (409, "last_reason_code")
    listed = client.get("/v1/reason-codes", headers=auth(Role.viewer)).json()
    assert [r["code"] for r in listed if r["active"]] == [codes[-1]]


def test_an_unknown_reason_code_cannot_be_retired(client, session: Session, auth) -> None:
    make_shop(session)

    answer = client.post("/v1/reason-codes/nonsense/retire", headers=auth(Role.admin))

    assert (answer.status_code, answer.json()["code"]) == (404, "reason_code_not_found")
