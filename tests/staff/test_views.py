"""The login page, sessions and logging out, through HTTP as a browser uses them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from storeguard.core.clock import frozen
from storeguard.core.models import AuditEvent
from storeguard.staff.actions import deactivate_staff_user
from storeguard.staff.models import StaffSession
from storeguard.web.cookies import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.factories import FACTORY_ACTOR, STAFF_PASSWORD, make_staff_user


def _login_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _post_login(client: TestClient, email: str, password: str = STAFF_PASSWORD, **extra: str):  # noqa: ANN202
    token = _login_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, **extra},
        follow_redirects=False,
    )


def _sessions(session) -> list[tuple[int, bool]]:  # noqa: ANN001
    session.expire_all()
    return [
        (s.id, s.revoked_at is None) for s in session.scalars(select(StaffSession).order_by(StaffSession.id))
    ]


def _cookie_header(response, name: str) -> str:  # noqa: ANN001
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def test_a_page_asked_for_without_a_login_sends_the_browser_to_log_in_and_back(client):
    page = client.get("/?shop=1", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2F%3Fshop%3D1"


def test_an_htmx_request_without_a_login_is_told_where_to_go(client):
    page = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)

    assert (page.status_code, page.headers["hx-redirect"]) == (200, "/login")


def test_logging_in_sets_an_httponly_samesite_lax_session_cookie_and_goes_on(client, session):
    make_staff_user(session, email="kari@example.com")

    answer = _post_login(client, "Kari@Example.com", next="/orders")

    assert (answer.status_code, answer.headers["location"]) == (303, "/orders")
    cookie = _cookie_header(answer, SESSION_COOKIE)
    assert ("HttpOnly" in cookie, "SameSite=lax" in cookie, "Secure" in cookie) == (True, True, False)
    assert "Max-Age=43200" in cookie
    assert [live for _, live in _sessions(session)] == [True]


def test_the_session_cookie_is_secure_when_the_pages_are_served_over_https(app, session):
    make_staff_user(session, email="kari@example.com")
    with TestClient(app, base_url="https://testserver") as secure:
        answer = _post_login(secure, "kari@example.com")

    assert answer.status_code == 303
    assert "Secure" in _cookie_header(answer, SESSION_COOKIE)


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_a_login_never_sends_the_browser_to_another_site(client, session, next_path):
    make_staff_user(session, email="kari@example.com")

    answer = _post_login(client, "kari@example.com", next=next_path)

    assert answer.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_the_message_and_opens_no_session(client, session):
    user = make_staff_user(session, email="kari@example.com")

    answer = _post_login(client, "kari@example.com", "not my password")

    assert answer.status_code == 401
    assert "The email or the password is not right." in answer.text
    assert 'value="kari@example.com"' in answer.text
    assert SESSION_COOKIE not in answer.cookies
    assert (user.failed_logins, _sessions(session)) == (1, [])


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_a_login_without_the_login_forms_token_is_refused_and_changes_nothing(client, session, token):
    user = make_staff_user(session, email="kari@example.com")
    client.get("/login")
    data = {"email": "kari@example.com", "password": STAFF_PASSWORD}
    if token:
        data["csrf_token"] = token

    answer = client.post("/login", data=data, follow_redirects=False)

    assert answer.status_code == 403
    assert "<h1>You do not have access to this</h1>" in answer.text
    assert (user.failed_logins, _sessions(session)) == (0, [])


def test_five_wrong_passwords_lock_the_account_say_so_and_record_it(client, session):
    make_staff_user(session, email="kari@example.com")

    answers = [_post_login(client, "kari@example.com", "not my password") for _ in range(5)]
    after = _post_login(client, "kari@example.com")

    assert [a.status_code for a in answers] == [401] * 5
    assert "this account is locked for a while" in answers[-1].text
    assert (after.status_code, "this account is locked for a while" in after.text) == (401, True)
    locked = session.scalar(select(func.count()).where(AuditEvent.action == "staff_user.locked"))
    assert locked == 1


def test_logging_in_again_ends_the_session_the_browser_had(client, session, login):
    token = _login_token(client)  # the form was open in another tab
    first = login("agent", email="kari@example.com")

    answer = client.post(
        "/login",
        data={"email": "kari@example.com", "password": STAFF_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert _cookie_header(answer, SESSION_COOKIE) != f"{SESSION_COOKIE}={first.token}"
    assert [live for _, live in _sessions(session)] == [False, True]


def test_the_login_page_sends_someone_logged_in_on(client, login):
    login("viewer")

    page = client.get("/login?next=/orders", follow_redirects=False)

    assert (page.status_code, page.headers["location"]) == (303, "/orders")


def test_log_out_ends_the_session_and_the_cookie(client, session, login):
    me = login("viewer")

    answer = client.post("/logout", data={"csrf_token": me.csrf}, follow_redirects=False)
    after = client.get("/", follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (303, "/login?m=logged_out")
    assert 'sg_session=""' in _cookie_header(answer, SESSION_COOKIE)
    assert [live for _, live in _sessions(session)] == [False]
    assert after.status_code == 303


def test_log_out_without_the_csrf_token_is_refused_and_the_session_lives_on(client, session, login):
    login("viewer")

    answer = client.post("/logout", data={}, follow_redirects=False)

    assert answer.status_code == 403
    assert [live for _, live in _sessions(session)] == [True]


def test_log_out_with_a_stale_csrf_token_of_an_earlier_session_is_refused(client, session, login):
    token = _login_token(client)
    old = login("viewer", email="kari@example.com")
    client.post(  # a new session with a new token
        "/login", data={"email": "kari@example.com", "password": STAFF_PASSWORD, "csrf_token": token}
    )

    answer = client.post("/logout", data={"csrf_token": old.csrf}, follow_redirects=False)

    assert answer.status_code == 403
    assert [live for _, live in _sessions(session)] == [False, True]


def test_log_out_everywhere_ends_the_users_sessions_on_every_device(client, session, login):
    me = login("agent", email="kari@example.com")
    other = TestClient(client.app)
    _post_login(other, "kari@example.com")

    answer = client.post("/logout/everywhere", headers={"X-CSRF-Token": me.csrf}, follow_redirects=False)

    assert answer.headers["location"] == "/login?m=logged_out_everywhere"
    assert [live for _, live in _sessions(session)] == [False, False]
    assert other.get("/", follow_redirects=False).status_code == 303


def test_an_expired_session_sends_the_browser_to_log_in_again(client, login):
    login("viewer")

    with frozen(datetime.now(UTC) + timedelta(hours=1, seconds=1)):
        page = client.get("/", follow_redirects=False)

    assert (page.status_code, page.headers["location"]) == (303, "/login")


def test_a_deactivated_users_session_no_longer_opens_pages(client, session, login):
    me = login("agent")
    deactivate_staff_user(session, email=me.user.email, actor=FACTORY_ACTOR)

    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_login_page_sets_its_own_csrf_cookie_httponly(client):
    page = client.get("/login")

    cookie = _cookie_header(page, LOGIN_CSRF_COOKIE)
    assert ("HttpOnly" in cookie, "SameSite=lax" in cookie) == (True, True)
    assert f'value="{page.cookies[LOGIN_CSRF_COOKIE]}"' in page.text
