"""Cases through the API: opened from chat with a first message, linked, answered on email only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storeguard.cases.models import Case
from tests.factories import make_customer, make_order, make_shop
from tests.refusals import refusal, row_counts


def test_a_chat_case_opens_with_its_first_message_checked_for_conduct(
    client, session: Session, shop, owner_headers
) -> None:
    kari = make_customer(session, shop, email="kari@example.no")
    order = make_order(session, shop, customer=kari)

    answer = client.post(
        "/v1/cases",
        json={
            "shop_id": shop.id,
            "channel": "chat",
            "customer_id": kari.id,
            "subject": "Chat",
            "links": [{"kind": "order", "ref_id": order.id}],
            "message": "Jeg vet hvor du bor.",
        },
        headers=owner_headers,
    )

    body = answer.json()
    assert answer.status_code == 201
    assert (body["channel"], body["urgent"], body["priority"], body["customer_id"]) == (
        "chat",
        True,
        "urgent",
        kari.id,
    )
    assert [(e["kind"], e["channel"], e["body"]) for e in body["entries"]] == [
        ("inbound", "chat", "Jeg vet hvor du bor.")
    ]
    assert [(link.kind, link.ref_id) for link in session.get(Case, body["id"]).links] == [("order", order.id)]


def test_a_link_to_another_shops_order_is_refused_and_nothing_changes(
    client, session: Session, shop, owner_headers
) -> None:
    elsewhere = make_order(session, make_shop(session))
    case = client.post(
        "/v1/cases", json={"shop_id": shop.id, "channel": "phone"}, headers=owner_headers
    ).json()
    before = row_counts(session)

    answer = client.post(
        f"/v1/cases/{case['id']}/links", json={"kind": "order", "ref_id": elsewhere.id}, headers=owner_headers
    )

    assert refusal(answer) == (422, "link_not_found", "ref_id")
    assert row_counts(session) == before


def test_a_case_with_an_unknown_channel_is_refused_naming_the_choices(
    client, session: Session, shop, owner_headers
) -> None:
    before = row_counts(session)

    answer = client.post("/v1/cases", json={"shop_id": shop.id, "channel": "pigeon"}, headers=owner_headers)

    assert refusal(answer) == (422, "invalid_channel", "channel")
    assert "email, chat, phone, form" in answer.json()["detail"]
    assert row_counts(session) == before


def test_a_correction_is_a_new_entry_naming_the_one_it_corrects(
    client, session: Session, shop, owner_headers
) -> None:
    case = client.post(
        "/v1/cases",
        json={"shop_id": shop.id, "channel": "phone", "message": "Ringte om ordre 1001"},
        headers=owner_headers,
    ).json()
    first = case["entries"][0]["id"]

    answer = client.post(
        f"/v1/cases/{case['id']}/notes",
        json={"body": "Det var ordre 1011, ikke 1001.", "corrects_entry_id": first},
        headers=owner_headers,
    )

    entries = client.get(f"/v1/cases/{case['id']}", headers=owner_headers).json()["entries"]
    assert answer.status_code == 201
    assert [(e["kind"], e["body"], e["corrects_entry_id"]) for e in entries] == [
        ("inbound", "Ringte om ordre 1001", None),
        ("note", "Det var ordre 1011, ikke 1001.", first),
    ]
