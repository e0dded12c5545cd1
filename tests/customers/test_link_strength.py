"""Links that know their strength: strong identifiers join customers, weak ones only make possible matches."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from storeguard.core.errors import Invalid
from storeguard.customers.actions import set_link_types
from storeguard.customers.enums import LinkStrength
from storeguard.customers.identifiers import link_types, record_order_identifiers
from storeguard.customers.links import cluster_of
from storeguard.customers.models import Customer
from storeguard.customers.policy import card_type, link_strength
from storeguard.lists.blocking import block_customer
from storeguard.screening.actions import update_screening_settings
from storeguard.shops.models import Product, Shop
from tests.factories import FACTORY_ACTOR, make_customer, make_product, make_shop, place_order

VISA = {"card_bin": "411111", "card_last4": "4242"}
OSLO = {
    "name": "Kari Nordmann",
    "address1": "Storgata 1",
    "zip": "0155",
    "city": "Oslo",
    "country_code": "NO",
}


# --- policy: no database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "strength"),
    [
        ("email", LinkStrength.strong),
        ("device_id", LinkStrength.strong),
        ("payment_fingerprint", LinkStrength.strong),
        ("name_address", LinkStrength.strong),
        ("card_number", LinkStrength.weak),
        ("shipping_address", LinkStrength.weak),
        ("ip_user_agent", LinkStrength.weak),
        ("ip", LinkStrength.weak),
        ("email_domain", None),
    ],
)
def test_link_strength_of_each_identifier_type(kind: str, strength: LinkStrength | None) -> None:
    assert link_strength(kind) == strength


def test_a_card_without_its_expiry_is_a_card_number() -> None:
    assert (card_type("card:411111:4242"), card_type("card:411111:4242:1227"), card_type("fp:abc")) == (
        "card_number",
        "payment_fingerprint",
        "payment_fingerprint",
    )


# --- clusters --------------------------------------------------------------------------------------


def _shop(session: Session) -> tuple[Shop, Product]:
    shop = make_shop(session, currency="NOK", country="NO")
    return shop, make_product(session, shop, sku="BOOTS", price=99900, stock=50)


def _buyer(session: Session, shop: Shop, boots: Product, email: str, **order: Any) -> Customer:
    customer = make_customer(session, shop, email=email)
    record_order_identifiers(session, place_order(session, shop, [(boots, 1)], customer=customer, **order))
    return customer


def test_two_customers_sharing_only_bin_and_last4_are_not_one_cluster(session: Session) -> None:
    shop, boots = _shop(session)
    kari = _buyer(session, shop, boots, "kari@example.no", **VISA)
    ola = _buyer(session, shop, boots, "ola@example.no", **VISA)

    assert (cluster_of(session, kari.id), cluster_of(session, ola.id)) == ([kari.id], [ola.id])


def test_two_customers_sharing_bin_last4_and_expiry_are_one_cluster(session: Session) -> None:
    shop, boots = _shop(session)
    kari = _buyer(session, shop, boots, "kari@example.no", **VISA, card_expiry="12/27")
    ola = _buyer(session, shop, boots, "ola@example.no", **VISA, card_expiry="12/27")

    assert cluster_of(session, ola.id) == [kari.id, ola.id]


def test_two_customers_sharing_a_device_id_are_one_cluster(session: Session) -> None:
    shop, boots = _shop(session)
    kari = _buyer(session, shop, boots, "kari@example.no", device_id="dev-42")
    ola = _buyer(session, shop, boots, "ola@example.no", device_id="dev-42")

    assert cluster_of(session, kari.id) == [kari.id, ola.id]


def test_two_customers_sharing_only_an_ip_are_a_possible_match_not_a_cluster(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop, boots = _shop(session)
    kari = _buyer(session, shop, boots, "kari@example.no", browser_ip="81.0.12.1")
    ola = _buyer(session, shop, boots, "ola@example.no", browser_ip="81.0.12.1")

    links = client.get(f"/v1/customers/{ola.id}/links", headers=owner_headers).json()

    assert (links["cluster"], links["links"]) == ([ola.id], [])
    assert links["possible_matches"] == [
        {
            "customer_id": kari.id,
            "strength": "weak",
            "path_text": f"shares IP 81.0.12.1 with customer #{kari.id} (a weak link)",
            "path": [
                {
                    "from_customer_id": ola.id,
                    "to_customer_id": kari.id,
                    "strength": "weak",
                    "shared": [
                        {"type": "ip", "value": "81.0.12.1", "display": "81.0.12.1", "strength": "weak"}
                    ],
                }
            ],
        }
    ]


def test_the_same_ip_and_browser_shows_as_a_possible_match_with_both(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop, boots = _shop(session)
    browser = {"browser_ip": "81.0.12.1", "user_agent": "Mozilla/5.0 (iPhone) Safari/604.1"}
    kari = _buyer(session, shop, boots, "kari@example.no", **browser)
    ola = _buyer(session, shop, boots, "ola@example.no", **browser)

    links = client.get(f"/v1/customers/{ola.id}/links", headers=owner_headers).json()

    [match] = links["possible_matches"]
    assert (match["customer_id"], [s["type"] for s in match["path"][0]["shared"]]) == (
        kari.id,
        ["ip", "ip_user_agent"],
    )


def test_choosing_a_weak_type_to_link_customers_is_refused_and_nothing_changes(session: Session) -> None:
    shop, _ = _shop(session)

    with pytest.raises(Invalid) as refused:
        set_link_types(session, shop_id=shop.id, types=["email", "ip"], actor=FACTORY_ACTOR)

    assert (refused.value.code, refused.value.field) == ("weak_link_type", "types")
    assert (shop.settings or {}).get("link_identifier_types") is None


def test_a_weak_type_an_earlier_setting_named_does_not_link(session: Session) -> None:
    shop = make_shop(session, settings={"link_identifier_types": ["email", "shipping_address", "ip"]})

    assert [str(t) for t in link_types(shop)] == ["email"]


# --- screening -------------------------------------------------------------------------------------


def _blocked_kari_and_ola(session: Session, **kari_card: Any) -> tuple[Shop, Customer, Customer]:
    shop, boots = _shop(session)
    kari = make_customer(session, shop, email="kari@example.no")
    evidence = place_order(session, shop, [(boots, 1)], customer=kari, **kari_card)
    record_order_identifiers(session, evidence)
    block_customer(
        session,
        customer_id=kari.id,
        actor=FACTORY_ACTOR,
        reason_code="fraud",
        evidence={"order_ids": [evidence.id]},
        notify=False,
    )
    ola = make_customer(session, shop, email="ola@example.no")
    session.flush()
    return shop, kari, ola


def _checkout(shop: Shop, customer: Customer, **kw: Any) -> dict[str, Any]:
    return {
        "shop_id": shop.id,
        "customer_id": customer.id,
        "email": customer.email,
        "lines": [{"sku": "BOOTS", "quantity": 1}],
    } | kw


def test_a_checkout_sharing_only_bin_and_last4_with_a_blocked_customer_is_held_for_review_not_blocked(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop, kari, ola = _blocked_kari_and_ola(session, **VISA)

    answer = client.post("/v1/screen", headers=owner_headers, json=_checkout(shop, ola, **VISA)).json()

    assert answer["decision"] == "review"
    [reason] = [r for r in answer["reasons"] if r["action"] is not None]
    assert (reason["code"], reason["source"], reason["action"], reason["ref"]["id"]) == (
        "possible_match",
        "link",
        "review",
        kari.id,
    )
    assert reason["message"] == (
        f"Possible match with customer #{kari.id}, who is blocked (fraud, block #{reason['ref']['block_id']}): "
        f"this order shares card number 411111 •••• 4242 with customer #{kari.id} (a weak link); "
        "a weak link never blocks, so the order is held for review."
    )
    assert [h["strength"] for h in reason["path"]] == ["weak"]


def test_a_weak_link_only_shows_when_the_merchant_turns_its_action_off(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop, kari, ola = _blocked_kari_and_ola(session, **VISA)
    update_screening_settings(
        session, shop_id=shop.id, changes={"weak_link_action": None}, actor=FACTORY_ACTOR
    )

    answer = client.post("/v1/screen", headers=owner_headers, json=_checkout(shop, ola, **VISA)).json()

    possible = [r for r in answer["reasons"] if r["code"] == "possible_match"]
    assert (answer["decision"], [(r["action"], r["ref"]["id"]) for r in possible]) == (
        "allow",
        [(None, kari.id)],
    )


def test_a_checkout_with_the_blocked_customers_card_and_expiry_is_blocked(
    session: Session, client: TestClient, owner_headers: dict[str, str]
) -> None:
    shop, kari, ola = _blocked_kari_and_ola(session, **VISA, card_expiry="12/27")

    answer = client.post(
        "/v1/screen", headers=owner_headers, json=_checkout(shop, ola, **VISA, card_expiry="12/27")
    ).json()

    top = answer["reasons"][0]
    assert (answer["decision"], top["code"], top["ref"]["customer_id"]) == ("block", "linked_block", kari.id)
    assert [h["strength"] for h in top["path"]] == ["strong"]


def test_a_weak_link_to_block_is_refused_as_a_setting(session: Session) -> None:
    shop, _ = _shop(session)

    with pytest.raises(Invalid) as refused:
        update_screening_settings(
            session, shop_id=shop.id, changes={"weak_link_action": "block"}, actor=FACTORY_ACTOR
        )

    assert (refused.value.code, refused.value.field) == ("invalid_settings", "settings.weak_link_action")


# --- the customer page -----------------------------------------------------------------------------


def test_the_customer_page_lists_a_possible_match_apart_from_linked_customers(
    session: Session, client: TestClient, login: Any
) -> None:
    shop, boots = _shop(session)
    kari = _buyer(session, shop, boots, "kari@example.no", **VISA)
    ola = _buyer(session, shop, boots, "ola@example.no", **VISA)
    login("viewer")

    page = client.get(f"/customers/{ola.id}").text

    possible = page.split('id="possible-matches"', 1)[1].split("</table>", 1)[0]
    assert f'href="/customers/{kari.id}"' in possible
    assert "card number: 411111 •••• 4242" in possible and "Weak link" in possible
    assert "No other customer shares an identifier with this one." in page
