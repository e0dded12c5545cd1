from sqlalchemy import select

from storeguard.core.models import AuditEvent
from storeguard.shops.models import Product
from tests.factories import make_product, make_shop


def _payload(shop_id, **kw):
    return {
        "shop_id": shop_id,
        "sku": "NL-RAIN-JKT",
        "title": "Fjord Rain Jacket",
        "category": "apparel",
        "tags": ["outerwear", "waterproof"],
        "price": 279900,
        "options": {"size": ["S", "M", "L"], "color": ["Navy"]},
        "stock": 40,
        **kw,
    }


def _state(product):
    return (product.sku, product.title, product.price, product.stock, list(product.tags))


def test_create_product_answers_with_price_and_shop_currency(client, session, owner_headers):
    shop = make_shop(session, currency="NOK", country="NO")

    response = client.post("/v1/products", json=_payload(shop.id), headers=owner_headers)

    assert response.status_code == 201
    body = response.json()
    assert (body["price"], body["currency"], body["stock"], body["tags"]) == (
        279900,
        "NOK",
        40,
        ["outerwear", "waterproof"],
    )
    assert body["options"] == {"size": ["S", "M", "L"], "color": ["Navy"]}


def test_create_product_refuses_sku_already_in_shop(client, session, owner_headers):
    shop = make_shop(session)
    make_product(session, shop, sku="NL-RAIN-JKT")

    response = client.post("/v1/products", json=_payload(shop.id), headers=owner_headers)

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == ("sku_taken", "sku")
    assert len(session.scalars(select(Product).where(Product.shop_id == shop.id)).all()) == 1


def test_create_product_allows_same_sku_in_another_shop(client, session, owner_headers):
    make_product(session, make_shop(session), sku="NL-RAIN-JKT")
    other = make_shop(session)

    response = client.post("/v1/products", json=_payload(other.id), headers=owner_headers)

    assert response.status_code == 201


def test_create_product_refuses_bad_input_and_changes_nothing(client, session, owner_headers):
    shop = make_shop(session)
    cases = [
        ({"price": -1}, 422, "invalid_price", "price"),
        ({"stock": -5}, 422, "invalid_stock", "stock"),
        ({"sku": " "}, 422, "sku_required", "sku"),
        ({"title": ""}, 422, "title_required", "title"),
        ({"options": {"size": []}}, 422, "invalid_options", "options"),
        ({"price": "12.50"}, 422, "validation_failed", "price"),
        ({"shop_id": 987654}, 404, "shop_not_found", "shop_id"),
    ]
    for change, status, code, field in cases:
        response = client.post("/v1/products", json={**_payload(shop.id), **change}, headers=owner_headers)
        assert response.status_code == status, change
        assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert session.scalars(select(Product).where(Product.shop_id == shop.id)).all() == []


def test_update_product_changes_only_fields_sent_and_records_before_after(client, session, owner_headers):
    shop = make_shop(session)
    product = make_product(session, shop, sku="A-1", title="Wool Beanie", price=29900, stock=10)

    response = client.patch(
        f"/v1/products/{product.id}", json={"price": 24900, "stock": 12}, headers=owner_headers
    )

    assert response.status_code == 200
    assert (response.json()["price"], response.json()["stock"], response.json()["title"]) == (
        24900,
        12,
        "Wool Beanie",
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "product.updated"))
    assert (event.before, event.after) == ({"price": 29900, "stock": 10}, {"price": 24900, "stock": 12})


def test_update_product_refuses_sku_of_another_product_and_changes_nothing(client, session, owner_headers):
    shop = make_shop(session)
    make_product(session, shop, sku="A-1")
    product = make_product(session, shop, sku="A-2", title="Glove", price=500, stock=3)
    before = _state(product)

    response = client.patch(
        f"/v1/products/{product.id}", json={"sku": "A-1", "price": 1}, headers=owner_headers
    )

    assert response.status_code == 409
    assert response.json()["code"] == "sku_taken"
    session.refresh(product)
    assert _state(product) == before


def test_update_product_refuses_negative_price_and_changes_nothing(client, session, owner_headers):
    product = make_product(session, make_shop(session), price=500, stock=3)
    before = _state(product)

    response = client.patch(
        f"/v1/products/{product.id}", json={"price": -100, "stock": 9}, headers=owner_headers
    )

    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "invalid_price",
        "price",
    )
    session.refresh(product)
    assert _state(product) == before


def test_update_unknown_product_answers_404(client, owner_headers):
    response = client.patch("/v1/products/987654", json={"price": 1}, headers=owner_headers)

    assert (response.status_code, response.json()["code"]) == (404, "product_not_found")


def test_list_products_filters_by_category_tag_and_flags(client, session, owner_headers):
    shop = make_shop(session)
    jacket = make_product(session, shop, category="apparel", tags=["outerwear"])
    watch = make_product(session, shop, category="electronics", tags=["gps"], high_value=True)
    sneaker = make_product(session, shop, category="footwear", tags=["limited"], limited_edition=True)

    def ids(**params):
        body = client.get("/v1/products", params={"shop_id": shop.id, **params}, headers=owner_headers).json()
        return [p["id"] for p in body["items"]], body["total"]

    assert ids() == ([jacket.id, watch.id, sneaker.id], 3)
    assert ids(category="electronics") == ([watch.id], 1)
    assert ids(tag="limited") == ([sneaker.id], 1)
    assert ids(tag="limit") == ([], 0)
    assert ids(high_value="true") == ([watch.id], 1)
    assert ids(limited_edition="false") == ([jacket.id, watch.id], 2)
    assert ids(limit=1, offset=1) == ([watch.id], 3)


def test_get_product_and_404(client, session, owner_headers):
    product = make_product(session, make_shop(session, currency="JPY"), price=1500)

    found = client.get(f"/v1/products/{product.id}", headers=owner_headers)
    missing = client.get("/v1/products/987654", headers=owner_headers)

    assert (found.json()["price"], found.json()["currency"]) == (1500, "JPY")
    assert (missing.status_code, missing.json()["code"]) == (404, "product_not_found")
