"""What every admin page shares: security headers, languages, static files and error pages."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storeguard.core.http import Edge
from storeguard.web.errors import crash_page
from storeguard.web.security import CONTENT_SECURITY_POLICY, is_page_path

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def test_the_content_security_policy_allows_no_inline_script_or_style_and_nothing_from_elsewhere():
    assert CONTENT_SECURITY_POLICY == CSP


def test_a_page_is_answered_with_the_security_headers_and_not_cached(client, login):
    login("viewer")

    page = client.get("/")

    assert page.status_code == 200
    assert (page.headers["content-security-policy"], page.headers["x-frame-options"]) == (CSP, "DENY")
    assert (page.headers["x-content-type-options"], page.headers["cache-control"]) == ("nosniff", "no-store")
    assert "<script>" not in page.text and " style=" not in page.text and " on" + "click=" not in page.text


@pytest.mark.parametrize("path", ["/v1/orders", "/healthz", "/docs", "/openapi.json", "/webhooks/stripe"])
def test_the_api_docs_and_webhooks_are_not_pages(path):
    assert is_page_path(path) is False


def test_the_api_answers_without_the_page_headers(client, owner_headers):
    answer = client.get("/v1/orders", headers=owner_headers)

    assert answer.status_code == 200
    assert "content-security-policy" not in answer.headers


def test_lang_in_the_address_switches_the_page_to_hebrew_right_to_left_for_the_session(client, login):
    login("viewer", locale="en")

    switched = client.get("/?lang=he")
    later = client.get("/")

    assert '<html lang="he" dir="rtl"' in switched.text
    assert "sg_lang=he; Path=/; HttpOnly; SameSite=Lax" in switched.headers["set-cookie"]
    assert '<html lang="he" dir="rtl"' in later.text


def test_a_user_sees_pages_in_their_own_language_unless_they_switch(client, login):
    login("viewer", locale="nb")

    page = client.get("/")

    assert '<html lang="nb" dir="ltr"' in page.text


def test_an_unknown_lang_is_ignored(client, login):
    login("viewer", locale="zh")

    page = client.get("/?lang=xx")

    assert '<html lang="zh" dir="ltr"' in page.text
    assert "sg_lang" not in page.headers.get("set-cookie", "")


def test_the_login_page_follows_the_browsers_language(client):
    page = client.get("/login", headers={"Accept-Language": "fr;q=0.9, nb-NO;q=0.8, en;q=0.5"})

    assert '<html lang="nb" dir="ltr"' in page.text


def test_an_unknown_page_answers_a_404_page_not_json(client, login):
    login("viewer")

    page = client.get("/no/such/page")

    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in page.text


def test_an_unknown_api_path_still_answers_problem_json(client):
    answer = client.get("/v1/no/such/thing")

    assert (answer.status_code, answer.headers["content-type"]) == (404, "application/problem+json")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/ui/storeguard.css", "text/css; charset=utf-8"),
        ("/static/ui/storeguard.js", "text/javascript; charset=utf-8"),
        ("/static/vendor/htmx/htmx.min.js", "text/javascript; charset=utf-8"),
    ],
)
def test_the_pages_files_are_served_by_the_app_itself(client, path, content_type):
    answer = client.get(path)

    assert (answer.status_code, answer.headers["content-type"]) == (200, content_type)
    assert len(answer.content) > 500


def test_the_stylesheet_mirrors_for_right_to_left_by_logical_properties_only():
    from storeguard.web.setup import STATIC_DIR

    css = (STATIC_DIR / "storeguard.css").read_text()
    physical = re.compile(
        r"(?<![\w-])(margin|padding|border)-(left|right|top|bottom)\b"
        r"|(?<![\w-])(left|right|top|bottom|width|height|float)\s*:"
        r"|text-align:\s*(left|right)|(?<![\w-])(justify-content|align-items):\s*(left|right)"
    )

    assert physical.findall(css) == []


def _crashing_app() -> FastAPI:
    inner = FastAPI()

    @inner.get("/orders")
    def page() -> None:
        raise RuntimeError("boom")

    @inner.get("/v1/orders")
    def api() -> None:
        raise RuntimeError("boom")

    inner.add_middleware(Edge, max_body_bytes=1024, max_webhook_body_bytes=1024, crash_page=crash_page)
    return inner


def test_a_crash_on_a_page_answers_a_plain_500_page_with_the_request_id():
    with TestClient(_crashing_app(), raise_server_exceptions=False) as client:
        page = client.get("/orders", headers={"X-Request-Id": "req-42"})

    assert (page.status_code, page.headers["content-type"]) == (500, "text/html; charset=utf-8")
    assert "Nothing was changed" in page.text and "<code>req-42</code>" in page.text


def test_a_crash_in_the_api_still_answers_a_problem():
    with TestClient(_crashing_app(), raise_server_exceptions=False) as client:
        answer = client.get("/v1/orders")

    assert (answer.status_code, answer.json()["code"]) == (500, "internal_error")
