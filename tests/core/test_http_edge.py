"""The HTTP edge: body limits before reading, the key before the body, Allow, request ids, docs offline."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from storeguard.core.enums import Role
from storeguard.integrations.models import WebhookDelivery

SCREEN = {"shop_id": 1, "currency": "USD", "lines": []}


def test_body_over_the_api_limit_answers_413_from_its_length(client, owner_headers):
    response = client.post(
        "/v1/screen",
        content=b"{" + b" " * (1 << 20) + b"}",
        headers={**owner_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    body = response.json()
    assert (body["code"], body["limit"]) == ("body_too_large", 1 << 20)
    assert response.headers["content-type"] == "application/problem+json"


def test_chunked_body_over_the_limit_answers_413(client, owner_headers):
    def chunks():
        for _ in range(300):
            yield b" " * 4096

    response = client.post(
        "/v1/screen", content=chunks(), headers={**owner_headers, "content-type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "body_too_large")


def test_webhook_over_its_limit_answers_413_and_stores_nothing(client, session):
    before = session.scalar(select(func.count()).select_from(WebhookDelivery))
    response = client.post(
        "/webhooks/stripe", content=b"x" * ((2 << 20) + 1), headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "body_too_large")
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == before


def test_webhook_body_under_its_limit_but_over_the_api_limit_is_read(client):
    response = client.post("/webhooks/stripe", content=b"x" * ((1 << 20) + 10))
    assert response.status_code == 401  # past the size check: refused for its signature


def test_anonymous_caller_with_a_bad_body_is_told_401_not_the_fields(client):
    response = client.post("/v1/screen", json={"nonsense": True})
    assert response.status_code == 401
    assert response.json()["code"] == "missing_api_key"
    assert "errors" not in response.json()
    assert response.headers["www-authenticate"] == 'Bearer realm="storeguard"'


def test_anonymous_caller_with_unparseable_json_is_told_401(client):
    response = client.post("/v1/orders", content=b"{not json", headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (401, "missing_api_key")


def test_viewer_with_a_bad_body_on_a_write_is_told_403(client, auth):
    response = client.post("/v1/orders", json={"nonsense": True}, headers=auth(Role.viewer))
    assert (response.status_code, response.json()["code"]) == (403, "role_too_weak")


def test_owner_with_a_bad_body_gets_the_fields(client, owner_headers):
    response = client.post("/v1/screen", json={"nonsense": True}, headers=owner_headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


def test_401_carries_www_authenticate(client):
    response = client.get("/v1/orders")
    assert response.headers["www-authenticate"] == 'Bearer realm="storeguard"'


def test_405_carries_allow(client, owner_headers):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"


def test_every_answer_carries_a_request_id(client):
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_a_sane_request_id_from_the_client_is_kept(client):
    assert client.get("/healthz", headers={"X-Request-Id": "lb-42.a"}).headers["x-request-id"] == "lb-42.a"


def test_an_unsafe_request_id_from_the_client_is_replaced(client):
    answered = client.get("/healthz", headers={"X-Request-Id": "a b<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_openapi_declares_the_bearer_scheme_on_authenticated_routes(client):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `storeguard apikey create`.",
    }
    assert schema["paths"]["/v1/screen"]["post"]["security"] == [{"HTTPBearer": []}]
    assert schema["paths"]["/v1/orders"]["get"]["security"] == [{"HTTPBearer": []}]


def test_openapi_documents_problem_answers(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/orders/{order_id}/cancel"]["post"]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "404", "409", "413", "422", "500"]
    assert operation["responses"]["409"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    }


def test_docs_page_loads_only_assets_the_app_serves(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
