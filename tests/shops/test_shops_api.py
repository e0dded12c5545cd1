from sqlalchemy import func, select

from storeguard.core.enums import Role
from storeguard.core.models import AuditEvent
from storeguard.shops.models import Shop
from tests.factories import make_shop

NEW_SHOP = {
    "name": "Fjellstova",
    "domain": "Fjellstova.myshopify.com",
    "platform": "shopify",
    "currency": "nok",
    "country": "no",
}


def _shop_count(session):
    return session.scalar(select(func.count()).select_from(Shop))


def test_create_shop_normalizes_codes_and_records_event(client, session, owner_headers):
    response = client.post("/v1/shops", json=NEW_SHOP, headers=owner_headers)

    assert response.status_code == 201
    body = response.json()
    assert (body["domain"], body["currency"], body["country"], body["platform"]) == (
        "fjellstova.myshopify.com",
        "NOK",
        "NO",
        "shopify",
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.created"))
    assert event.subject_id == str(body["id"])


def test_create_shop_refuses_duplicate_domain_and_changes_nothing(client, session, owner_headers):
    make_shop(session, domain="fjellstova.myshopify.com")
    before = _shop_count(session)

    response = client.post("/v1/shops", json=NEW_SHOP, headers=owner_headers)

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == ("domain_taken", "domain")
    assert _shop_count(session) == before


def test_create_shop_refuses_bad_input_with_code_and_field(client, session, owner_headers):
    before = _shop_count(session)
    cases = [
        ({"currency": "NOKK"}, "invalid_currency", "currency"),
        ({"currency": "XYZ"}, "invalid_currency", "currency"),
        ({"country": "NOR"}, "invalid_country", "country"),
        ({"platform": "magento"}, "invalid_platform", "platform"),
        ({"domain": "not a domain"}, "invalid_domain", "domain"),
        ({"name": "  "}, "name_required", "name"),
    ]
    for change, code, field in cases:
        response = client.post("/v1/shops", json={**NEW_SHOP, **change}, headers=owner_headers)
        assert response.status_code == 422, change
        assert (response.json()["code"], response.json()["field"]) == (code, field)
    missing = client.post("/v1/shops", json={"name": "x"}, headers=owner_headers)
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_failed")
    assert _shop_count(session) == before


def test_create_shop_needs_admin_role(client, session, auth):
    response = client.post("/v1/shops", json=NEW_SHOP, headers=auth(Role.agent))

    assert response.status_code == 403
    assert session.scalar(select(Shop).where(Shop.domain == "fjellstova.myshopify.com")) is None


def test_list_and_get_shops(client, session, auth):
    shop = make_shop(session, name="Fjellstova", currency="NOK", country="NO")
    headers = auth(Role.viewer)

    listed = client.get("/v1/shops", params={"limit": 500}, headers=headers).json()
    detail = client.get(f"/v1/shops/{shop.id}", headers=headers)

    assert shop.id in [s["id"] for s in listed["items"]]
    assert listed["total"] == _shop_count(session)
    assert (detail.status_code, detail.json()["name"], detail.json()["currency"]) == (
        200,
        "Fjellstova",
        "NOK",
    )


def test_get_unknown_shop_answers_404(client, owner_headers):
    response = client.get("/v1/shops/987654", headers=owner_headers)

    assert (response.status_code, response.json()["code"]) == (404, "shop_not_found")


def test_list_shops_needs_a_key(client):
    assert client.get("/v1/shops").status_code == 401
