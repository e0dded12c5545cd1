"""An unexpected error is answered as problem details and the client's connection stays usable."""

from __future__ import annotations

import httpx
import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy.exc import OperationalError

from storeguard.app import create_app
from storeguard.core.config import Settings
from storeguard.core.migrations import upgrade_to_head
from tests.reliability.server import serving


def _app_raising(tmp_path, error: Exception):  # noqa: ANN001, ANN202
    """The app on a fresh SQLite file, with ``/v1/crash`` raising ``error`` (GET and POST)."""
    url = f"sqlite:///{tmp_path / 'edge.db'}"
    upgrade_to_head(url)
    app = create_app(Settings(database_url=url, data_dir=tmp_path))

    @app.api_route("/v1/crash", methods=["GET", "POST"], include_in_schema=False)
    def crash() -> None:
        raise error

    return app


@pytest.fixture
def crashing_app(tmp_path):  # noqa: ANN001, ANN201
    return _app_raising(tmp_path, RuntimeError("a bug"))


def test_unexpected_error_answers_500_problem_details_with_the_request_id(crashing_app):
    with serving(crashing_app) as base, httpx.Client(base_url=base, timeout=30) as client:
        response = client.get("/v1/crash", headers={"X-Request-Id": "req-7"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-7"
    body = response.json()
    assert (body["code"], body["status"], body["request_id"], body["instance"]) == (
        "internal_error",
        500,
        "req-7",
        "/v1/crash",
    )
    assert "a bug" not in response.text


def test_the_next_request_on_the_same_connection_works_after_a_500(crashing_app):
    ports = []
    with serving(crashing_app) as base, httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(3):
            first = client.get("/v1/crash")
            ports.append(first.extensions["network_stream"].get_extra_info("client_addr")[1])
            second = client.get("/healthz")
            ports.append(second.extensions["network_stream"].get_extra_info("client_addr")[1])
            assert (first.status_code, second.status_code) == (500, 200)
    assert len(set(ports)) == 1  # one keep-alive connection served all six


@pytest.fixture
def conflicting_app(tmp_path):  # noqa: ANN001, ANN201
    return _app_raising(
        tmp_path, OperationalError("UPDATE customers ...", {}, DeadlockDetected("deadlock detected"))
    )


def test_a_write_chosen_as_a_deadlocks_victim_answers_503_write_conflict_with_retry_after(conflicting_app):
    with serving(conflicting_app) as base, httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/v1/crash", headers={"X-Request-Id": "req-9"})
        after = client.get("/healthz")
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    body = response.json()
    assert (body["code"], body["status"], body["request_id"]) == ("write_conflict", 503, "req-9")
    assert after.status_code == 200  # the connection is still good for the next request
