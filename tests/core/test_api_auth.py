"""API keys: no key or a bad one is 401, a weak role is 403, all as problem details."""

from storeguard.core.actor import SYSTEM
from storeguard.core.apikeys import create_api_key, revoke_api_key


def test_no_key_is_401_problem(client):
    response = client.get("/v1/orders")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["status"], body["title"]) == ("missing_api_key", 401, "Unauthorized")
    assert body["type"] == "https://storeguard.dev/problems/missing_api_key"
    assert body["instance"] == "/v1/orders"


def test_unknown_key_is_401(client):
    response = client.get("/v1/orders", headers={"Authorization": "Bearer sg_nope_nope"})
    assert (response.status_code, response.json()["code"]) == (401, "invalid_api_key")


def test_key_in_the_wrong_scheme_is_401(client, auth):
    raw = auth("owner")["Authorization"].removeprefix("Bearer ")
    response = client.get("/v1/orders", headers={"Authorization": f"Basic {raw}"})
    assert (response.status_code, response.json()["code"]) == (401, "missing_api_key")


def test_revoked_key_is_401(client, session):
    key, raw = create_api_key(session, name="old", role="admin", actor=SYSTEM)
    revoke_api_key(session, key_id=key.id, actor=SYSTEM)
    response = client.get("/v1/orders", headers={"Authorization": f"Bearer {raw}"})
    assert (response.status_code, response.json()["code"]) == (401, "invalid_api_key")


def test_weak_role_is_403_problem_with_code(client, auth):
    response = client.get("/v1/audit", headers=auth("agent"))
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["status"]) == ("role_too_weak", 403)
    assert body["detail"] == "this needs the admin role; the key has agent"


def test_stronger_roles_include_weaker_ones(client, auth):
    for role in ("viewer", "agent", "admin", "owner"):
        assert client.get("/v1/orders", headers=auth(role)).status_code == 200, role
    assert client.get("/v1/audit", headers=auth("owner")).status_code == 200
