"""Every route the OpenAPI lists demands a key, unless it is one of the public routes named in one place."""

from __future__ import annotations

import re

import pytest

from storeguard.core.actor import SYSTEM
from storeguard.core.apikeys import create_api_key, revoke_api_key
from storeguard.core.enums import Role
from storeguard.core.openapi import PUBLIC_ROUTES

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _operations(app) -> list[tuple[str, str]]:  # noqa: ANN001
    schema = app.openapi()
    return sorted((method.upper(), path) for path, methods in schema["paths"].items() for method in methods)


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client, method: str, path: str, headers: dict[str, str]):  # noqa: ANN001, ANN202
    kwargs = {"json": {}} if method in WRITES else {}
    return client.request(method, _url(path), headers=headers, **kwargs)


def test_the_public_routes_are_exactly_the_named_ones(app):
    schema = app.openapi()
    public = {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if not operation.get("security")
    }
    assert public == {route for route in PUBLIC_ROUTES if route[1] not in ("/docs", "/openapi.json")}
    assert set(PUBLIC_ROUTES) == {
        ("GET", "/healthz"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("POST", "/webhooks/shopify/{shop}"),
        ("POST", "/webhooks/stripe"),
        ("POST", "/webhooks/square"),
        ("POST", "/webhooks/paypal"),
        ("POST", "/v1/inbound/email"),
    }


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer \t"],
    ids=["none", "empty-bearer", "unknown", "wrong-scheme", "blank"],
)
def test_every_private_route_answers_401_without_a_good_key(app, client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    wrong = []
    for method, path in _operations(app):
        if (method, path) in PUBLIC_ROUTES:
            continue
        response = _call(client, method, path, headers)
        if (
            response.status_code != 401
            or response.headers.get("www-authenticate") != 'Bearer realm="storeguard"'
        ):
            wrong.append((method, path, response.status_code))
    assert wrong == []


def test_every_private_route_answers_401_to_a_revoked_key(app, client, session):
    key, raw = create_api_key(session, name="gone", role=Role.owner, actor=SYSTEM)
    revoke_api_key(session, key_id=key.id, actor=SYSTEM)
    wrong = []
    for method, path in _operations(app):
        if (method, path) in PUBLIC_ROUTES:
            continue
        response = _call(client, method, path, {"Authorization": f"Bearer {raw}"})
        if (response.status_code, response.json().get("code")) != (401, "invalid_api_key"):
            wrong.append((method, path, response.status_code))
    assert wrong == []


# Reads that take a body: a viewer may screen a checkout, match identifiers, check or backtest a rule.
READS_WITH_A_BODY = {
    ("POST", "/v1/screen"),
    ("POST", "/v1/lists/match"),
    ("POST", "/v1/rules/validate"),
    ("POST", "/v1/rules/backtest"),
    ("POST", "/v1/rules/backtests"),  # the same backtest in the background: only its run is kept
    ("POST", "/v1/notifications/templates/{kind}/{language}/preview"),  # renders, saves nothing
    ("POST", "/v1/conduct/check"),  # stores nothing: a viewer's helpdesk may ask
    ("POST", "/v1/policy-replay"),  # replays proposed thresholds, changes nothing
}


def test_every_write_answers_403_to_a_viewer(app, client, auth):
    headers = auth(Role.viewer)
    writes = [
        (m, p)
        for m, p in _operations(app)
        if m in WRITES and (m, p) not in PUBLIC_ROUTES and (m, p) not in READS_WITH_A_BODY
    ]
    assert len(writes) > 30
    wrong = []
    for method, path in writes:
        response = _call(client, method, path, headers)
        if (response.status_code, response.json().get("code")) != (403, "role_too_weak"):
            wrong.append((method, path, response.status_code))
    assert wrong == []
